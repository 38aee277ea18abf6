using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AmiSim.HeadEnd.Campaign;
using AmiSim.Mesh.Topology;
using AmiSim.Protocol.Network;
using Sylvan.Data.Csv;

namespace AmiSim.Host.Run;

/// <summary>A collector on the map, at <paramref name="X"/>, <paramref name="Y"/> metres.</summary>
public sealed record MapCollector(int Collector, double X, double Y);

/// <summary>A meter on the map: its place, its route (parent null: the collector, or no route when depth is 0) and its final state.</summary>
public sealed record MapMeter(long Meter, int Collector, long? Parent, int Depth, MeterPhase State, string Reason, double X, double Y);

/// <summary>
/// The report's map of the network: where every meter of the campaign stands (the network's own positions,
/// or the layout of its routing tree), its link to its parent, its hop depth and final state. Drawn on a
/// canvas by a script inside the page (no network access), so that 100,000 meters stay one page.
/// </summary>
public sealed record NetworkMap(bool Surveyed, IReadOnlyList<MapCollector> Collectors, IReadOnlyList<MapMeter> Meters)
{
    /// <summary>The map of a finished run, to the decimetre as meters.csv and report.json keep it (so <see cref="Read"/> gives the same map).</summary>
    public static NetworkMap Of(RunResult run)
    {
        var layout = NetworkLayout.Of(run.Topology);
        var route = run.Topology.Meters.ToDictionary(m => m.Meter.Value);
        var meters = new List<MapMeter>(run.Outcomes.Count);
        foreach (var o in run.Outcomes.OrderBy(o => o.Meter))
        {
            if (!layout.Positions.Meters.TryGetValue(new MeterId(o.Meter), out var at)) continue;
            var node = route.GetValueOrDefault(o.Meter);
            meters.Add(new MapMeter(o.Meter, o.Collector, node?.Parent?.Value, node?.Depth ?? 0, o.Phase, o.Reason, Math.Round(at.X, 1), Math.Round(at.Y, 1)));
        }
        var collectors = layout.Positions.Collectors.OrderBy(c => c.Key).Select(c => new MapCollector(c.Key, Math.Round(c.Value.X, 1), Math.Round(c.Value.Y, 1))).ToList();
        return new NetworkMap(layout.Surveyed, collectors, meters);
    }

    /// <summary>
    /// The map of a run folder, from report.json's <c>layout</c> and meters.csv; null when the folder is
    /// from an amisim that wrote neither. <exception cref="FormatException">meters.csv cannot be read (names the file, its line and the field).</exception>
    /// </summary>
    public static NetworkMap? Read(JsonObject report, string metersCsv)
    {
        if (report["layout"] is not JsonObject layout || !File.Exists(metersCsv)) return null;
        var collectors = layout["collectors"]!.AsArray()
            .Select(c => new MapCollector(c!["collector"]!.GetValue<int>(), c["x"]!.GetValue<double>(), c["y"]!.GetValue<double>())).ToList();
        using var csv = CsvDataReader.Create(metersCsv, new CsvDataReaderOptions { HasHeaders = true });
        var header = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < csv.FieldCount; i++) header.TryAdd(csv.GetName(i), i); // a repeated name: the first
        int Column(string name) => header.TryGetValue(name, out var i) ? i : throw new FormatException($"{metersCsv}, line 1: no column {name} in the header");
        if (!header.ContainsKey("x")) return null; // written before the map
        int meter = Column("meter"), collector = Column("collector"), depth = Column("depth"), state = Column("final_state"), reason = Column("reason"),
            parent = Column("parent"), x = Column("x"), y = Column("y");
        var meters = new List<MapMeter>();
        var line = 1;
        while (csv.Read())
        {
            line++;
            string Field(int column, string name) => column < csv.RowFieldCount ? csv.GetString(column)
                : throw new FormatException($"{metersCsv}, line {line}: no {name} (the row has {csv.RowFieldCount} of the header's {csv.FieldCount} fields)");
            T Number<T>(int column, string name) where T : System.Numerics.INumber<T> =>
                T.TryParse(Field(column, name), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value
                    : throw new FormatException($"{metersCsv}, line {line}: {name} \"{Field(column, name)}\" is not a number");
            if (Field(x, "x").Length == 0) continue; // no position known
            var phase = Field(state, "final_state");
            if (!Enum.TryParse<MeterPhase>(phase, out var final) || !Enum.IsDefined(final))
                throw new FormatException($"{metersCsv}, line {line}: final_state \"{phase}\" is none of {string.Join(", ", Enum.GetNames<MeterPhase>())}");
            meters.Add(new MapMeter(Number<long>(meter, "meter"), Number<int>(collector, "collector"),
                Field(parent, "parent").Length > 0 ? Number<long>(parent, "parent") : null,
                Field(depth, "depth").Length > 0 ? Number<int>(depth, "depth") : 0,
                final, Field(reason, "reason"), Number<double>(x, "x"), Number<double>(y, "y")));
        }
        return new NetworkMap(layout["surveyed"]?.GetValue<bool>() ?? false, collectors, meters);
    }

    /// <summary>
    /// The map's data as one JSON object for the page's script: columns rather than rows (a meter is a few
    /// numbers), positions to the decimetre, parents as indexes into the meter columns (-1: the collector,
    /// or none), states and reasons as indexes into their tables.
    /// </summary>
    public string DataJson()
    {
        var index = new Dictionary<long, int>(Meters.Count);
        for (var i = 0; i < Meters.Count; i++) index[Meters[i].Meter] = i;
        var collectorIndex = Collectors.Select((c, i) => (c.Collector, i)).ToDictionary(p => p.Collector, p => p.i);
        var states = Enum.GetValues<MeterPhase>().Select(p => p.ToString()).ToList();
        var reasons = Meters.Select(m => m.Reason).Distinct().Order(StringComparer.Ordinal).ToList();
        var reasonIndex = reasons.Select((r, i) => (r, i)).ToDictionary(p => p.r, p => p.i);
        static int Dm(double metres) => (int)Math.Round(metres * 10);
        var data = new
        {
            surveyed = Surveyed,
            states,
            reasons,
            collectors = new { id = Collectors.Select(c => c.Collector), x = Collectors.Select(c => Dm(c.X)), y = Collectors.Select(c => Dm(c.Y)) },
            meters = new
            {
                id = Meters.Select(m => m.Meter),
                x = Meters.Select(m => Dm(m.X)),
                y = Meters.Select(m => Dm(m.Y)),
                collector = Meters.Select(m => collectorIndex.GetValueOrDefault(m.Collector, -1)),
                parent = Meters.Select(m => m.Parent is { } p && index.TryGetValue(p, out var i) ? i : -1),
                depth = Meters.Select(m => m.Depth),
                state = Meters.Select(m => (int)m.State),
                reason = Meters.Select(m => reasonIndex[m.Reason]),
            },
        };
        // Inside a <script> element: "</" must not appear as such.
        return JsonSerializer.Serialize(data).Replace("</", "<\\/", StringComparison.Ordinal);
    }

    /// <summary>The map's section of report.html: the canvas, its controls and legend, the data and the script that draws it.</summary>
    public string Html()
    {
        var html = new StringBuilder();
        html.Append("<h2 id=\"map\">Network map</h2><p class=\"note\">")
            .Append(Surveyed ? "Where the network's positions file puts each node." : "No positions were given: the routing tree laid out, each collector's meters on rings, one ring per hop.")
            .Append(" Links go from each meter to its parent. Scroll to zoom, drag to move, hover a meter for its details.</p>")
            .Append("<div class=\"mapbar\"><label><input type=\"radio\" name=\"mapview\" value=\"state\" checked> final state</label> ")
            .Append("<label><input type=\"radio\" name=\"mapview\" value=\"depth\"> hop depth</label> ")
            .Append("<label><input type=\"checkbox\" id=\"maplinks\" checked> links</label> <button type=\"button\" id=\"mapreset\">reset view</button></div>")
            .Append("<div class=\"mapwrap\"><canvas id=\"mapcanvas\" width=\"1060\" height=\"640\"></canvas><div id=\"maptip\" class=\"maptip\" hidden></div></div>")
            .Append("<div id=\"maplegend\" class=\"legend\"></div>")
            .Append("<script id=\"mapdata\" type=\"application/json\">").Append(DataJson()).Append("</script>")
            .Append("<script>").Append(Script).Append("</script>");
        return html.ToString();
    }

    /// <summary>
    /// Draws the map: meters as dots (errors last and larger, so a few stand out among many), collectors as
    /// squares, links as faint lines; a view by final state or by hop depth; zoom, pan and a tooltip found
    /// through a grid of screen cells. Exposes <c>window.amisimMap</c> (what it drew, and where a meter is on the canvas) for tests.
    /// </summary>
    private const string Script = """
(function () {
  const data = JSON.parse(document.getElementById('mapdata').textContent);
  const canvas = document.getElementById('mapcanvas'), ctx = canvas.getContext('2d');
  const tip = document.getElementById('maptip'), legend = document.getElementById('maplegend');
  const m = data.meters, c = data.collectors, n = m.id.length;
  const stateColour = { Succeeded: '#2e9e4f', Failed: '#d62728', TimedOut: '#ff7f0e', Skipped: '#9a9a9a', Canceled: '#8c564b' };
  const pendingColour = '#1f77b4';
  const depthColours = ['#440154', '#482878', '#3e4a89', '#31688e', '#26828e', '#1f9e89', '#35b779', '#6ece58', '#b5de2b', '#fde725'];
  const isError = s => s === 'Failed' || s === 'TimedOut';
  let view = 'state', links = true;
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  const grow = (x, y) => { minX = Math.min(minX, x); maxX = Math.max(maxX, x); minY = Math.min(minY, y); maxY = Math.max(maxY, y); };
  for (let i = 0; i < n; i++) grow(m.x[i], m.y[i]);
  for (let i = 0; i < c.id.length; i++) grow(c.x[i], c.y[i]);
  if (!isFinite(minX)) { minX = minY = 0; maxX = maxY = 1; }
  let scale, offX, offY;
  function reset() {
    const pad = 20, w = Math.max(1, maxX - minX), h = Math.max(1, maxY - minY);
    scale = Math.min((canvas.width - 2 * pad) / w, (canvas.height - 2 * pad) / h);
    offX = pad + (canvas.width - 2 * pad - w * scale) / 2 - minX * scale;
    offY = pad + (canvas.height - 2 * pad - h * scale) / 2 + maxY * scale;
  }
  const sx = x => x * scale + offX, sy = y => offY - y * scale;
  const colourOf = i => view === 'depth'
    ? (m.depth[i] > 0 ? depthColours[Math.min(m.depth[i] - 1, depthColours.length - 1)] : '#9a9a9a')
    : (stateColour[data.states[m.state[i]]] || pendingColour);
  let cells = new Map();
  function draw() {
    ctx.fillStyle = '#ffffff'; ctx.fillRect(0, 0, canvas.width, canvas.height);
    if (links) {
      ctx.strokeStyle = 'rgba(90,90,90,0.28)'; ctx.lineWidth = 1; ctx.beginPath();
      for (let i = 0; i < n; i++) {
        if (m.depth[i] === 0) continue;
        const p = m.parent[i];
        const px = p >= 0 ? m.x[p] : c.x[m.collector[i]], py = p >= 0 ? m.y[p] : c.y[m.collector[i]];
        if (px === undefined) continue;
        ctx.moveTo(sx(m.x[i]), sy(m.y[i])); ctx.lineTo(sx(px), sy(py));
      }
      ctx.stroke();
    }
    const r = Math.max(1.5, Math.min(4, scale * 15));
    const byColour = new Map(), late = [];
    for (let i = 0; i < n; i++) {
      if (view === 'state' && isError(data.states[m.state[i]])) { late.push(i); continue; }
      const k = colourOf(i); if (!byColour.has(k)) byColour.set(k, []); byColour.get(k).push(i);
    }
    for (const [colour, list] of byColour) { ctx.fillStyle = colour; for (const i of list) ctx.fillRect(sx(m.x[i]) - r / 2, sy(m.y[i]) - r / 2, r, r); }
    for (const i of late) { ctx.fillStyle = colourOf(i); ctx.beginPath(); ctx.arc(sx(m.x[i]), sy(m.y[i]), r + 1.5, 0, 2 * Math.PI); ctx.fill(); }
    ctx.fillStyle = '#111111'; ctx.strokeStyle = '#ffffff';
    for (let i = 0; i < c.id.length; i++) { ctx.fillRect(sx(c.x[i]) - 6, sy(c.y[i]) - 6, 12, 12); ctx.strokeRect(sx(c.x[i]) - 6, sy(c.y[i]) - 6, 12, 12); }
    cells = new Map();
    for (let i = 0; i < n; i++) {
      const key = Math.floor(sx(m.x[i]) / 8) + ',' + Math.floor(sy(m.y[i]) / 8);
      if (!cells.has(key)) cells.set(key, []); cells.get(key).push(i);
    }
    drawLegend();
    window.amisimMap = { meters: n, collectors: c.id.length, errors: late.length, view, firstError: late.length ? late[0] : -1, at: i => [sx(m.x[i]), sy(m.y[i])], id: i => m.id[i] };
  }
  function drawLegend() {
    const counts = new Map();
    for (let i = 0; i < n; i++) {
      const label = view === 'depth' ? (m.depth[i] > 0 ? 'depth ' + m.depth[i] : 'no route') : data.states[m.state[i]];
      counts.set(label, [colourOf(i), (counts.get(label) || [0, 0])[1] + 1]);
    }
    const order = [...counts.keys()].sort((a, b) => view === 'depth' ? (parseInt(a.slice(6)) || 99) - (parseInt(b.slice(6)) || 99) : counts.get(b)[1] - counts.get(a)[1]);
    legend.textContent = '';
    for (const label of order) {
      const item = document.createElement('span'), swatch = document.createElement('i');
      swatch.style.background = counts.get(label)[0]; item.appendChild(swatch);
      item.appendChild(document.createTextNode(label + ' ' + counts.get(label)[1].toLocaleString('en-US')));
      legend.appendChild(item);
    }
    const box = document.createElement('span'), swatch = document.createElement('i');
    swatch.style.background = '#111111'; box.appendChild(swatch); box.appendChild(document.createTextNode('collector')); legend.appendChild(box);
  }
  function nearest(px, py) {
    let best = -1, bestD = 64;
    const cx = Math.floor(px / 8), cy = Math.floor(py / 8);
    for (let dx = -1; dx <= 1; dx++) for (let dy = -1; dy <= 1; dy++)
      for (const i of cells.get((cx + dx) + ',' + (cy + dy)) || []) {
        const d = (sx(m.x[i]) - px) ** 2 + (sy(m.y[i]) - py) ** 2;
        if (d < bestD) { bestD = d; best = i; }
      }
    return best;
  }
  const at = e => { const b = canvas.getBoundingClientRect(); return [(e.clientX - b.left) * canvas.width / b.width, (e.clientY - b.top) * canvas.height / b.height]; };
  let drag = null;
  canvas.addEventListener('mousedown', e => { drag = at(e); });
  window.addEventListener('mouseup', () => { drag = null; });
  canvas.addEventListener('mousemove', e => {
    const [px, py] = at(e);
    if (drag) { offX += px - drag[0]; offY += py - drag[1]; drag = [px, py]; draw(); tip.hidden = true; return; }
    const i = nearest(px, py);
    if (i < 0) { tip.hidden = true; return; }
    const reason = data.reasons[m.reason[i]];
    tip.textContent = 'meter ' + m.id[i] + ' · collector ' + c.id[m.collector[i]] + ' · ' + (m.depth[i] > 0 ? 'depth ' + m.depth[i] : 'no route') +
      ' · ' + data.states[m.state[i]] + (reason ? ': ' + reason : '');
    const b = canvas.getBoundingClientRect();
    tip.style.left = (e.clientX - b.left + 12) + 'px'; tip.style.top = (e.clientY - b.top + 12) + 'px'; tip.hidden = false;
  });
  canvas.addEventListener('mouseleave', () => { tip.hidden = true; });
  canvas.addEventListener('wheel', e => {
    e.preventDefault();
    const [px, py] = at(e), k = e.deltaY < 0 ? 1.25 : 0.8;
    offX = px - (px - offX) * k; offY = py - (py - offY) * k; scale *= k; draw();
  }, { passive: false });
  for (const radio of document.querySelectorAll('input[name=mapview]')) radio.addEventListener('change', e => { view = e.target.value; draw(); });
  document.getElementById('maplinks').addEventListener('change', e => { links = e.target.checked; draw(); });
  document.getElementById('mapreset').addEventListener('click', () => { reset(); draw(); });
  reset(); draw();
})();
""";
}
