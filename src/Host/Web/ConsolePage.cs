namespace AmiSim.Host.Web;

/// <summary>The console's one page: live from /api/events, actions to /api/actions and /api/clock with the token from the URL's fragment.</summary>
public static class ConsolePage
{
    /// <summary>The page with <paramref name="state"/> (the /api/state JSON) in it, so that it shows the run before the first event arrives.</summary>
    public static string With(string state) => Html.Replace("/*INITIAL*/null", state.Replace("</", "<\\/", StringComparison.Ordinal), StringComparison.Ordinal);

    public const string Html = """
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>AmiSim console</title>
<style>
body{font-family:system-ui,sans-serif;margin:1.5em 2em;color:#222;max-width:1200px}
h1{font-size:1.4em;margin:.2em 0}h2{font-size:1.05em;margin:1.2em 0 .4em}
.bar{display:flex;flex-wrap:wrap;gap:.6em;align-items:center;margin:.6em 0}
.status{font-weight:700;padding:.2em .6em;border-radius:4px;background:#e8eef8}
.status.paused{background:#fff1c2}.status.completed{background:#dff3e4}.status.canceled,.status.stopped{background:#fde2e2}
button{font:inherit;padding:.35em .9em;border:1px solid #888;border-radius:4px;background:#fafafa;cursor:pointer}
button:disabled{opacity:.45;cursor:default}button.danger{border-color:#c33;color:#a00}
.cards{display:flex;flex-wrap:wrap;gap:.8em}.card{border:1px solid #ddd;border-radius:6px;padding:.5em .9em;min-width:8em}
.card b{display:block;font-size:1.4em}.card span{color:#555;font-size:.85em}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}th{background:#f3f3f3}
td.text,th.text{text-align:left}.meter{display:inline-block;width:8em;height:.6em;background:#eee;vertical-align:middle;margin-left:.4em}
.meter{display:inline-flex}.meter i{display:block;height:100%}.grid{display:flex;flex-wrap:wrap;gap:2em}
#message{color:#a00;min-height:1.2em}.note{color:#555;font-size:.9em}canvas{border:1px solid #eee}
</style></head><body>
<h1>AmiSim console: <span id="scenario"></span></h1>
<div class="note" id="facts"></div>
<div class="bar"><span class="status" id="status">starting</span><span id="reason"></span>
<span>virtual time <b id="vtime">0</b></span><span id="clock" class="note"></span><span id="ended"></span></div>
<div class="bar" id="actions-bar">
<button id="pause">Pause campaign</button><button id="resume">Resume</button><button id="retry">Retry failed</button><button id="cancel" class="danger">Cancel campaign</button>
<span style="margin-left:1.5em">clock</span>
<select id="pace"><option value="1">1x</option><option value="60">60x</option><option value="3600">3,600x</option><option value="max">as fast as possible</option></select>
<button id="hold">Hold clock</button>
</div>
<div id="message"></div>
<div class="cards">
<div class="card"><b id="succeeded">0</b><span>succeeded</span></div>
<div class="card"><b id="failed">0</b><span>failed or timed out</span></div>
<div class="card"><b id="final">0</b><span>final of <span id="targeted">0</span> targeted</span></div>
<div class="card"><b id="wave">0</b><span>wave of <span id="waves">0</span></span></div>
<div class="card"><b id="sessions">0</b><span>most sessions on a collector</span></div>
</div>
<h2 id="curve-title">Completion so far</h2><canvas id="curve" width="900" height="260"></canvas>
<div class="grid">
<div><h2>Waves</h2><table id="waves-table"></table></div>
<div><h2>Collectors</h2><table id="collectors-table"></table></div>
<div><h2>Outcomes</h2><table id="outcomes-table"></table></div>
</div>
<h2>What failed, and why</h2><table id="failures-table"></table>
<h2>Operator actions</h2><table id="actions-table"></table>
<script>
const token = new URLSearchParams(location.hash.slice(1)).get('token') || new URLSearchParams(location.search).get('token') || '';
const $ = id => document.getElementById(id);
const n = v => Number(v).toLocaleString('en-US');
let state = null;
function rows(table, head, items, cells) {
  const t = $(table); t.innerHTML = '';
  const h = t.insertRow(); head.forEach((c, i) => { const th = document.createElement('th'); th.textContent = c; if (i === 0) th.className = 'text'; h.appendChild(th); });
  items.forEach(item => { const r = t.insertRow(); cells(item).forEach((c, i) => { const td = r.insertCell(); if (c instanceof Node) td.appendChild(c); else td.textContent = c; if (i === 0 || typeof c === 'string' && isNaN(Number(c.replace(/,/g, '')))) td.className = 'text'; }); });
}
function share(p) {
  const s = document.createElement('span'); s.textContent = p.meters ? Math.floor(100 * p.final / p.meters) + ' %' : '-';
  const m = document.createElement('span'); m.className = 'meter'; m.title = n(p.succeeded) + ' succeeded, ' + n(p.failed) + ' failed or timed out, ' + n(p.final - p.succeeded - p.failed) + ' canceled';
  for (const [count, colour] of [[p.succeeded, '#2e9e4f'], [p.failed, '#d62728'], [p.final - p.succeeded - p.failed, '#999']]) {
    const i = document.createElement('i'); i.style.width = (p.meters ? 100 * count / p.meters : 0) + '%'; i.style.background = colour; m.appendChild(i);
  }
  s.appendChild(m); return s;
}
function draw(s) {
  const c = $('curve'), g = c.getContext('2d'); g.clearRect(0, 0, c.width, c.height);
  const pts = s.completion, total = Math.max(1, s.targeted.meters), hmax = Math.max(1, s.virtualHours);
  const X = h => 50 + (c.width - 70) * h / hmax, Y = v => c.height - 30 - (c.height - 50) * v / total;
  g.strokeStyle = '#999'; g.beginPath(); g.moveTo(50, 10); g.lineTo(50, c.height - 30); g.lineTo(c.width - 20, c.height - 30); g.stroke();
  g.fillStyle = '#555'; g.font = '12px sans-serif'; g.fillText(n(total), 4, 20); g.fillText('0', 36, c.height - 32); g.fillText(hmax.toFixed(1) + ' h', c.width - 60, c.height - 12);
  for (const [key, colour] of [['succeeded', '#2e9e4f'], ['failed', '#d62728']]) {
    g.strokeStyle = colour; g.lineWidth = 2; g.beginPath(); g.moveTo(X(0), Y(0));
    pts.forEach(p => g.lineTo(X(p.hour), Y(p[key]))); g.stroke();
    const last = pts.length ? pts[pts.length - 1] : { hour: 0, succeeded: 0, failed: 0 };
    g.fillStyle = colour; g.fillText(n(last[key]) + ' ' + (key === 'failed' ? 'failed or timed out' : key), Math.min(X(last.hour) + 4, c.width - 150), Y(last[key]) - (key === 'failed' ? 4 : 16));
  }
}
function show(s) {
  state = s;
  $('scenario').textContent = s.scenario + ' (seed ' + s.seed + ')';
  $('facts').textContent = s.package + ' to ' + n(s.meters) + ' meters under ' + n(s.collectors) + ' collectors, ' + s.distribution;
  const st = $('status'); st.textContent = s.status; st.className = 'status ' + s.status;
  $('reason').textContent = s.reason; $('vtime').textContent = s.virtualTime;
  $('clock').textContent = s.ended ? '' : s.held ? 'clock held' : s.pace === 'max' ? 'as fast as possible' : n(s.pace) + 'x'; $('ended').textContent = s.ended ? 'run ended: final state' : '';
  $('succeeded').textContent = n(s.targeted.succeeded); $('failed').textContent = n(s.targeted.failed); $('final').textContent = n(s.targeted.final); $('targeted').textContent = n(s.targeted.meters);
  const started = s.wavesProgress.filter(w => w.started > 0); $('wave').textContent = started.length ? started[started.length - 1].wave + 1 : 0; $('waves').textContent = s.waves; $('sessions').textContent = n(s.sessionsInUse);
  rows('waves-table', ['wave', 'meters', 'final', 'succeeded', 'failed'], s.wavesProgress, w => ['wave ' + (w.wave + 1), n(w.meters), share(w), n(w.succeeded), n(w.failed)]);
  rows('collectors-table', ['collector', 'meters', 'final', 'succeeded', 'failed'], s.collectorsProgress, c => ['collector ' + c.id, n(c.meters), share(c), n(c.succeeded), n(c.failed)]);
  rows('outcomes-table', ['state', 'meters'], Object.entries(s.outcomes), ([k, v]) => [k, n(v)]);
  rows('failures-table', ['state', 'reason', 'meters', 'first meters'], s.failures, f => [f.state, f.reason, n(f.count), f.first.join(', ')]);
  rows('actions-table', ['virtual time', 'action', 'by'], s.actions, a => [a.at, a.action, a.by]);
  const running = s.status === 'running', paused = s.status === 'paused', live = !s.ended;
  $('pause').disabled = !(live && running); $('resume').disabled = !(live && paused); $('cancel').disabled = !(live && (running || paused)); $('retry').disabled = !live || s.targeted.failed === 0;
  if (![...$('pace').options].some(o => o.value === s.pace)) { const o = document.createElement('option'); o.value = s.pace; o.textContent = n(s.pace) + 'x'; $('pace').appendChild(o); }
  $('pace').value = s.pace; $('hold').textContent = s.held ? 'Run clock' : 'Hold clock'; $('pace').disabled = $('hold').disabled = !live;
  $('curve-title').textContent = s.ended ? 'Completion' : 'Completion so far';
  draw(s);
}
async function post(path, body) {
  $('message').textContent = '';
  const r = await fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Authorization': 'Bearer ' + token }, body: JSON.stringify(body) });
  if (!r.ok) { const e = await r.json().catch(() => ({ error: r.statusText })); $('message').textContent = r.status + ': ' + e.error; }
}
$('pause').onclick = () => post('/api/actions', { action: 'pause' });
$('resume').onclick = () => post('/api/actions', { action: 'resume' });
$('retry').onclick = () => post('/api/actions', { action: 'retry-failed' });
$('cancel').onclick = () => { if (confirm('Cancel the campaign? Meters not yet final are canceled.')) post('/api/actions', { action: 'cancel' }); };
$('pace').onchange = () => post('/api/clock', { pace: $('pace').value });
$('hold').onclick = () => post('/api/clock', { hold: !(state && state.held) });
if (!token) $('message').textContent = 'No token in this address: open the URL the run printed (it ends with #token=...) to act.';
const query = token ? '?token=' + encodeURIComponent(token) : '';
const initial = /*INITIAL*/null;
if (initial) show(initial);
const events = new EventSource('/api/events' + query);
events.onmessage = e => show(JSON.parse(e.data));
events.onerror = () => { if (state && state.ended) events.close(); };
window.amisimConsole = () => state;
</script></body></html>
""";
}
