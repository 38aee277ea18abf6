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
[hidden]{display:none!important}
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
#message{color:#a00;min-height:1.2em}h2.sub{font-size:.95em;color:#444}input{font:inherit;padding:.3em}.note{color:#555;font-size:.9em}#curve svg{border:1px solid #eee}
</style></head><body>
<h1>AmiSim console: <span id="scenario"></span></h1>
<div class="note" id="facts"></div>
<div class="bar"><span class="status" id="status">starting</span><span id="reason"></span>
<span>virtual time <b id="vtime">0</b></span><span id="clock" class="note"></span><span id="ended"></span></div>
<div class="bar" id="actions-bar">
<button id="start" hidden>Start campaign</button><button id="pause">Pause campaign</button><button id="resume">Resume</button><button id="retry">Retry failed</button><button id="cancel" class="danger">Cancel campaign</button>
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
<div class="card"><b id="sessions">0</b><span>peak sessions on a collector</span></div>
</div>
<h2 id="curve-title">Completion so far</h2><div id="curve"></div>
<div class="grid">
<div class="placed"><h2>Waves</h2><table id="waves-table"></table></div>
<div class="placed"><h2>Collectors</h2><table id="collectors-table"></table></div>
<div><h2>Outcomes</h2><table id="outcomes-table"></table></div>
</div>
<h2>What failed, and why</h2><table id="failures-table"></table>
<h2>Find a meter</h2>
<form id="find" class="bar"><input id="meter-id" placeholder="meter number or MTR0000000017" size="28" autocomplete="off"><button type="submit">Find</button><span id="meter-message" class="note"></span></form>
<div class="grid" id="meter-result" hidden><div><h2 class="sub">In the campaign</h2><table id="meter-campaign"></table></div><div><h2 class="sub" id="meter-tables-title">Its tables</h2><table id="meter-tables"></table></div></div>
<h2>Operator actions</h2><table id="actions-table"></table>
<script>
const initial = /*INITIAL*/null;
const token = new URLSearchParams(location.hash.slice(1)).get('token') || new URLSearchParams(location.search).get('token') || '';
const $ = id => document.getElementById(id);
const n = v => Number(v).toLocaleString('en-US');
const phaseNames = { TimedOut: 'timed out', Pending: 'pending' };
const phaseName = p => phaseNames[p] || p.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
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
function show(s) {
  state = s;
  $('scenario').textContent = s.scenario + (s.seed === null ? '' : ' (seed ' + s.seed + ')');
  $('facts').textContent = s.package + ' to ' + n(s.meters) + ' meters under ' + n(s.collectors) + ' collectors' + (s.distribution ? ', ' + s.distribution : '') + (s.readOnly ? '. Read-only: the final state of a run folder, from its journal' + (s.placesKnown ? '.' : ' (no meters.csv: the run did not finish, so each meter\'s collector and wave are unknown).') : '');
  const st = $('status'); st.textContent = s.waitingForStart ? 'waiting for your start' : s.status; st.className = 'status ' + (s.waitingForStart ? 'paused' : s.status);
  const paused = [...s.actions].reverse().find(a => a.action === 'pause');
  $('reason').textContent = s.status === 'paused' && s.reason === 'operator' && paused ? 'by ' + paused.by + ' at virtual ' + paused.at : s.reason;
  $('vtime').textContent = s.virtualTime;
  $('clock').textContent = s.ended ? '' : s.waitingForStart ? 'the clock waits for the start' : s.held ? 'clock held' : s.pace === 'max' ? 'as fast as possible' : n(s.pace) + 'x';
  $('ended').textContent = ''; if (s.ended) { $('ended').append(s.readOnly && s.placesKnown === false ? 'run interrupted: its last durable state' : 'run ended: final state' + (s.report ? '; ' : '')); if (s.report) { const a = document.createElement('a'); a.href = '/report' + query; a.textContent = 'the run\'s report'; $('ended').append(a); } }
  $('succeeded').textContent = n(s.targeted.succeeded); $('failed').textContent = n(s.targeted.failed); $('final').textContent = n(s.targeted.final); $('targeted').textContent = s.targeted.meters === 0 && s.status === 'created' ? '(planned at the start)' : n(s.targeted.meters);
  $('wave').textContent = s.wave; $('waves').textContent = s.waves || '-'; $('sessions').textContent = s.readOnly ? '-' : n(s.sessionsInUse);
  rows('waves-table', ['wave', 'meters', 'final', 'succeeded', 'failed'], s.wavesProgress, w => ['wave ' + w.wave, n(w.meters), share(w), n(w.succeeded), n(w.failed)]);
  rows('collectors-table', ['collector', 'meters', 'final', 'succeeded', 'failed'], s.collectorsProgress, c => ['collector ' + c.id, n(c.meters), share(c), n(c.succeeded), n(c.failed)]);
  rows('outcomes-table', ['state', 'meters'], Object.entries(s.outcomes), ([k, v]) => [phaseName(k), n(v)]);
  rows('failures-table', ['state', 'reason', 'meters', 'first meters'], s.failures, f => [phaseName(f.state), f.reason, n(f.count), f.first.join(', ')]);
  rows('actions-table', ['virtual time', 'action', 'by'], s.actions, a => [a.at, a.action, a.by]);
  const running = s.status === 'running', live = !s.ended && !s.readOnly;
  $('start').hidden = !s.waitingForStart; $('start').disabled = !live;
  $('actions-bar').hidden = !!s.readOnly;
  $('pause').disabled = !(live && running); $('resume').disabled = !(live && s.status === 'paused'); $('cancel').disabled = !(live && (running || s.status === 'paused')); $('retry').disabled = !live || s.targeted.failed === 0;
  if (![...$('pace').options].some(o => o.value === s.pace)) { const o = document.createElement('option'); o.value = s.pace; o.textContent = n(s.pace) + 'x'; $('pace').appendChild(o); }
  $('pace').value = s.pace; $('hold').textContent = s.held ? 'Run clock' : 'Hold clock'; $('pace').disabled = $('hold').disabled = !live;
  // A run folder without meters.csv (an interrupted run) does not say which collector and wave each meter had.
  document.querySelectorAll('.placed').forEach(e => e.hidden = !s.placesKnown);
  $('curve-title').textContent = s.ended ? 'Completion' : 'Completion so far';
  $('curve').innerHTML = s.completionSvg;
}
async function post(path, body) {
  $('message').textContent = '';
  const r = await fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Authorization': 'Bearer ' + token }, body: JSON.stringify(body) });
  if (!r.ok) { const e = await r.json().catch(() => ({ error: r.statusText })); $('message').textContent = r.status + ': ' + e.error; }
}
$('start').onclick = () => post('/api/actions', { action: 'start' });
$('pause').onclick = () => post('/api/actions', { action: 'pause' });
$('resume').onclick = () => post('/api/actions', { action: 'resume' });
$('retry').onclick = () => post('/api/actions', { action: 'retry-failed' });
$('cancel').onclick = () => { if (confirm('Cancel the campaign? Meters not yet final are canceled.')) post('/api/actions', { action: 'cancel' }); };
$('pace').onchange = () => post('/api/clock', { pace: $('pace').value });
$('hold').onclick = () => post('/api/clock', { hold: !(state && state.held) });
if (!token && !(initial && initial.readOnly)) $('message').textContent = 'No token in this address: open the URL the run printed (it ends with #token=...) to act.';
const query = token ? '?token=' + encodeURIComponent(token) : '';
if (initial) show(initial);
const events = new EventSource('/api/events' + query);
events.onmessage = e => show(JSON.parse(e.data));
events.onerror = () => { if (state && state.ended) events.close(); };
function pairs(table, items) {
  const t = $(table); t.innerHTML = '';
  items.forEach(([k, v]) => { const r = t.insertRow(), a = document.createElement('th'); a.className = 'text'; a.textContent = k; r.appendChild(a); const d = r.insertCell(); d.className = 'text'; d.textContent = v; });
}
$('find').onsubmit = async e => {
  e.preventDefault();
  const id = $('meter-id').value.trim(); if (!id) return;
  $('meter-message').textContent = 'reading ' + id + '...';
  const r = await fetch('/api/meters/' + encodeURIComponent(id) + query, { headers: token ? { 'Authorization': 'Bearer ' + token } : {} });
  const m = await r.json().catch(() => ({ error: r.statusText }));
  if (!r.ok) { $('meter-result').hidden = true; $('meter-message').textContent = m.error; return; }
  $('meter-message').textContent = m.identification;
  const c = m.campaign;
  pairs('meter-campaign', c ? [['phase', phaseName(c.phase)], ['reason', c.reason || '-'], ['attempts', c.attempts], ['collector', c.collector || '-'], ['wave', c.wave ?? '-'],
    ['finished at', c.finishedAt || '-'], ['firmware the head-end recorded', c.firmwareAfter || '-']] : [['phase', state && state.waitingForStart ? 'waiting for the campaign\'s start' : 'not in this campaign']]);
  $('meter-tables-title').textContent = m.tablesAt ? 'Its tables, read through PSEM at virtual ' + m.tablesAt : 'Its tables';
  const t = [];
  if (m.st1) t.push(['ST1 firmware', m.st1.firmware], ['ST1 manufacturer, model', m.st1.manufacturer + ' ' + m.st1.model], ['ST1 hardware', m.st1.hardware], ['ST1 serial number', m.st1.serial]);
  if (m.mt100) t.push(['MT100 image transfer', m.mt100.status + (m.mt100.image ? ' (' + m.mt100.image + ' ' + m.mt100.version + ')' : '')], ['MT100 blocks missing', n(m.mt100.missing) + ' of ' + n(m.mt100.blocks)], ['MT100 last failure', m.mt100.lastFailure]);
  if (m.tablesNote) t.push(['note', m.tablesNote]);
  pairs('meter-tables', t);
  $('meter-result').hidden = false;
};
const linked = new URLSearchParams(location.hash.slice(1)).get('meter');
if (linked) { $('meter-id').value = linked; $('find').requestSubmit(); }
window.amisimConsole = () => state;
</script></body></html>
""";
}
