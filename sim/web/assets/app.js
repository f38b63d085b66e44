/* The replay page: plays a run exported by `python run.py html` (sim/web/).
 *
 * The data (the <script id="data"> element, sim/web/data.py) holds the map in projected km and
 * the run packed by changes. Leaflet draws the map (CRS.Simple: one map unit is one km, the
 * pygame viewer's projection, so the two draw the same shapes); milsymbol draws the APP-6
 * symbols. The keys are the pygame viewer's (docs/viewer.md). Nothing is fetched.
 */
(function () {
  "use strict";

  performance.mark("replay-start");
  var DATA = JSON.parse(document.getElementById("data").textContent);
  performance.mark("replay-data");
  var MAP = DATA.map;
  var N = MAP.nodes.id.length;
  var SPEEDS = [0.5, 1, 2, 3, 4, 6, 8, 12, 24]; // simulated hours per second (sim/view/render.py)
  var DEFAULT_SPEED = 4;
  var GONE_SHOWN_H = 24; // a surrendered or disbanded unit's grey cross stays this long
  var FRESH_H = 6; // ticker items of the last six hours carry an amber bar
  var KEY_LABEL_POPULATION = 20000; // names drawn above the unit symbols
  var HOLD_LETTERS = "0sd"; // a frame's "hold": a gap, a screen, a defence (sim/view/replay.py)
  var FRONT_W = 3; // the front line's width, px (its white casing 1 px each side)
  // colours of sim/view/style.py, sim/view/basemap.py and sim/view/symbols.py
  var C = {
    land: "rgb(242,238,226)", water: "rgb(160,200,232)", river: "rgb(52,120,190)",
    border: "rgb(120,70,140)", rail: "rgb(45,45,50)", noData: "rgb(247,247,247)",
    roads: { local: ["rgb(205,196,180)", 1], secondary: ["rgb(215,160,80)", 2],
      main: ["rgb(205,120,40)", 3], highway: ["rgb(190,40,40)", 4] },
    terrain: { urban: "rgb(70,60,60)", forest: "rgb(60,120,60)", open: "rgb(250,250,245)" },
    ua: ["rgb(0,114,178)", 72 / 255], ru: ["rgb(213,94,0)", 80 / 255],
    russia: ["rgb(150,150,150)", 50 / 255],
    front: "rgb(20,20,20)",
    // how a side holds the front: its band beside the line (sim/view/style.py, HOLD_INK)
    hold: { UA: "rgb(0,80,150)", RU: "rgb(165,50,0)" },
    destroyed: "rgb(215,25,30)", pontoon: "rgb(0,110,80)",
    burst: "rgb(255,205,40)", burstLine: "rgb(60,40,0)", selected: "rgb(255,200,0)",
    whatif: "rgb(204,121,167)",
    fill: { UA: "rgb(128,200,255)", RU: "rgb(255,140,130)" },
    line: { UA: "rgb(0,60,120)", RU: "rgb(120,20,20)" },
    routed: "rgb(200,200,200)", gone: "rgb(110,110,110)"
  };
  var MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December"];
  var DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
  var SIDE_NAMES = { UA: "Ukraine", RU: "Russia" };
  var TYPE_NAMES = { armour: "Armour", mechanised: "Mechanised infantry",
    airborne: "Airborne / air assault", infantry: "Infantry", national_guard: "National guard",
    artillery: "Artillery", special_forces: "Special forces", reconnaissance: "Reconnaissance" };
  var ITEM_NAMES = ["Personnel", "Tanks", "IFV / APC", "Artillery", "MLRS"];

  // ------------------------------------------------------------------ time
  function parseTime(s) { // naive Kyiv time "YYYY-MM-DDTHH:MM" -> ms (held as UTC: no DST)
    var m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)/.exec(s);
    return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
  }
  function pad2(n) { return (n < 10 ? "0" : "") + n; }
  function hhmm(ms) { var d = new Date(ms); return pad2(d.getUTCHours()) + ":" + pad2(d.getUTCMinutes()); }
  function dayMonth(ms) { var d = new Date(ms); return d.getUTCDate() + " " + MONTHS[d.getUTCMonth()].slice(0, 3); }
  function shortTime(ms) { return dayMonth(ms) + " " + hhmm(ms); }
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  // ------------------------------------------------------------------ a run, unpacked
  function Run(d) {
    this.d = d;
    this.hours = d.hours;
    this.start = parseTime(d.start);
    var H = d.hours + 1, k, i;
    // control: UA (1) or RU (0) per hour and node
    this.ua = new Uint8Array(H * N);
    for (i = 0; i < N; i++) this.ua[i] = d.control0.charAt(i) === "U" ? 1 : 0;
    var changes = d.control, c = 0;
    for (k = 1; k < H; k++) {
      this.ua.copyWithin(k * N, (k - 1) * N, k * N);
      while (c < changes.length && changes[c][0] === k) {
        this.ua[k * N + changes[c][1]] = changes[c][2]; c++;
      }
    }
    // crossings not standing, per hour (shared objects while nothing changes)
    this.crossings = [];
    var now = {}, x = 0;
    for (k = 0; k < H; k++) {
      if (x < d.crossings.length && d.crossings[x][0] === k) {
        now = Object.assign({}, now);
        while (x < d.crossings.length && d.crossings[x][0] === k) {
          var id = d.crossing_ids[d.crossings[x][1]];
          if (d.crossings[x][2]) now[id] = d.crossings[x][2]; else delete now[id];
          x++;
        }
      }
      this.crossings.push(now);
    }
    // how each place's holder holds it, per hour and node (0 a gap, 1 a screen, 2 a defence:
    // sim/view/replay.py, HOLD_LETTERS); null for a run recorded before the front was kept
    this.hold = null;
    if (d.hold0) {
      this.hold = new Int8Array(H * N);
      for (i = 0; i < N; i++) this.hold[i] = HOLD_LETTERS.indexOf(d.hold0.charAt(i));
      var hc = d.hold, h = 0;
      for (k = 1; k < H; k++) {
        this.hold.copyWithin(k * N, (k - 1) * N, k * N);
        while (h < hc.length && hc[h][0] === k) { this.hold[k * N + hc[h][1]] = hc[h][2]; h++; }
      }
    }
    this.battles = {};
    for (i = 0; i < d.battles.length; i++) {
      var b = d.battles[i];
      (this.battles[b[0]] = this.battles[b[0]] || []).push(b);
    }
    this.goneSince = {};
    for (i = 0; i < d.units.length; i++) {
      var t = d.tracks[i];
      for (var j = 0; j < t.length; j++) {
        if (d.statuses[t[j][5]] !== "active") { this.goneSince[i] = t[j][0]; break; }
      }
    }
  }
  Run.prototype.held = function (k, node) { return this.ua[k * N + node]; };
  Run.prototype.controlString = function (k) {
    var s = "";
    for (var i = 0; i < N; i++) s += this.ua[k * N + i] ? "U" : "R";
    return s;
  };
  Run.prototype.holdAt = function (k, node) { return this.hold ? this.hold[k * N + node] : 0; };
  Run.prototype.holdString = function (k) {
    var s = "";
    if (this.hold) for (var i = 0; i < N; i++) s += HOLD_LETTERS.charAt(this.hold[k * N + i]);
    return s;
  };
  Run.prototype.time = function (k) { return this.start + k * 3600000; };
  /** The row of unit u at hour k (null before it enters the map). */
  Run.prototype.unitAt = function (u, k) {
    var t = this.d.tracks[u], lo = 0, hi = t.length - 1, best = -1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (t[mid][0] <= k) { best = mid; lo = mid + 1; } else hi = mid - 1;
    }
    return best < 0 ? null : t[best];
  };
  Run.prototype.active = function (row) { return row && this.d.statuses[row[5]] === "active"; };
  /** Where a unit stands (km): its node, or part way along the road to `next`. */
  Run.prototype.position = function (row) {
    var a = row[1], b = row[2], x = MAP.nodes.x[a], y = MAP.nodes.y[a];
    if (b >= 0) {
      var len = this.d.edge_km[a + "-" + b];
      if (len) {
        var f = Math.max(0, Math.min(1, row[3] / Math.max(len, 1e-6)));
        x += f * (MAP.nodes.x[b] - x); y += f * (MAP.nodes.y[b] - y);
      }
    }
    return [x, y];
  };

  var BASE = new Run(DATA.run);
  var WHATIF = DATA.whatif;
  var ALT = WHATIF ? new Run(WHATIF.run) : null;
  var NODE_INDEX = {};
  MAP.nodes.id.forEach(function (id, i) { NODE_INDEX[id] = i; });

  // ------------------------------------------------------------------ state
  var state = {
    t: 0, playing: false, speed: DEFAULT_SPEED, selected: null, help: false,
    layers: { territory: true, hold: true, units: true, roads: true, labels: true, battles: true, legend: true, ticker: true },
    compare: "overlay" // with a what-if: overlay | split | base
  };
  function hour() { return Math.max(0, Math.min(BASE.hours, Math.floor(state.t + 1e-9))); }

  // ------------------------------------------------------------------ symbols (milsymbol)
  var ECHELON = { company: "E", battalion: "F", regiment: "G", brigade: "H", division: "I" };
  var FUNCTION = { infantry: "SFGPUCI---", armour: "SFGPUCA---", mechanised: "SFGPUCIZ--",
    airborne: "SFGPUCIA--", national_guard: "SFGPUCIX--", artillery: "SFGPUCF---",
    special_forces: "SFFP------", reconnaissance: "SFGPUCR---" };
  // National guard and territorial units: the infantry cross with "NG" (as the pygame viewer
  // draws them; APP-6 has no such icon), registered as a letter code of our own.
  ms.addSIDCicons(function (sId, bbox, icn) {
    sId["S-G-UCIX--"] = [icn["GR.IC.FF.INFANTRY"], { type: "text", stroke: false,
      textanchor: "middle", x: 100, y: 140, fontsize: 26, text: "NG" }];
  }, "letter");
  function designation(name) { // sim/view/symbols.py, short_designation
    var nums = name.match(/\b(\d+)(?:st|nd|rd|th)\b/g);
    if (nums) {
      nums = nums.map(function (n) { return n.replace(/\D/g, ""); });
      return name.indexOf(",") >= 0 ? nums.slice(0, 2).join("/") : nums[0];
    }
    var ac = /\(([A-Z]{2,6})\)/.exec(name);
    if (ac) return ac[1];
    var word = name.trim().split(/[\s(,']+/)[0];
    return word.length <= 5 || word === word.toUpperCase() ? word : word.slice(0, 4) + ".";
  }
  var symbolCache = {};
  function unitSymbol(u, routed, size) {
    var key = u.id + "|" + routed + "|" + size;
    if (symbolCache[key]) return symbolCache[key];
    var sidc = FUNCTION[u.type] || FUNCTION.infantry;
    sidc = sidc + "-" + (ECHELON[u.echelon] || "-") + "---";
    var line = routed ? C.gone : C.line[u.side];
    var frame = new ms.ColorMode(line, line, line, line, line, line);
    var sym = new ms.Symbol(sidc, {
      size: size, fillColor: routed ? C.routed : C.fill[u.side], frameColor: frame,
      iconColor: "rgb(10,10,10)", strokeWidth: 4
    });
    var s = sym.getSize(), a = sym.getAnchor();
    var out = { url: "data:image/svg+xml;charset=utf-8," + encodeURIComponent(sym.asSVG()),
      w: Math.ceil(s.width), h: Math.ceil(s.height), ax: a.x, ay: a.y };
    symbolCache[key] = out;
    return out;
  }

  // ------------------------------------------------------------------ the map
  function ll(x, y) { return L.latLng(y, x); }
  function flatToLatLngs(flat) {
    var out = [];
    for (var i = 0; i + 1 < flat.length; i += 2) out.push(ll(flat[i], flat[i + 1]));
    return out;
  }
  function townRadius(pop) { return 2 + 1.6 * Math.max(0, Math.log10(Math.max(pop, 1) / 300)); }
  function uiScale(el) {
    return Math.max(0.7, Math.min(1.8, Math.min(el.clientWidth / 1000, el.clientHeight / 640)));
  }
  function battleRadius(ratio, ui) { return (8 + 4 * Math.log2(Math.max(1, Math.min(ratio, 32)))) * ui; }

  /** A scale bar in km (one map unit is a km: CRS.Simple measures in map units). */
  var KmScale = L.Control.Scale.extend({
    _updateMetric: function (units) {
      var km = this._getRoundNum(units);
      this._updateScale(this._mScale, km + " km", km / units);
    }
  });

  /** One map pane drawing one run (the base, or the branch side by side). */
  function MapView(el, run, opts) {
    this.el = el; this.run = run; this.opts = opts || {};
    var box = MAP.box;
    this.bounds = L.latLngBounds(ll(box[0], box[1]), ll(box[2], box[3]));
    var map = this.map = L.map(el, {
      crs: L.CRS.Simple, zoomSnap: 0.1, zoomDelta: 0.5, wheelPxPerZoomLevel: 120,
      minZoom: -1, maxZoom: 6, keyboard: false, attributionControl: !!this.opts.attribution,
      maxBounds: this.bounds.pad(0.5), preferCanvas: true
    });
    new KmScale({ position: "bottomleft", imperial: false, maxWidth: 120 }).addTo(map);
    if (this.opts.attribution) {
      map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a> · milsymbol');
      map.attributionControl.addAttribution("Natural Earth · GeoNames (CC BY 4.0) · UAWD");
    }
    var z = 200;
    var self = this;
    ["base", "territory", "ghost", "front", "labels", "marks", "battles", "units", "keylabels"].forEach(function (p) {
      map.createPane(p).style.zIndex = String(z += 10);
    });
    map.getPane("units").style.zIndex = "600";
    map.getPane("keylabels").style.zIndex = "640";
    this.canvas = {};
    ["base", "territory", "front"].forEach(function (p) { self.canvas[p] = L.canvas({ pane: p, padding: 0.3 }); });
    this.svg = L.svg({ pane: "ghost", padding: 0.3 });
    this.drawBase();
    this.terr = {};
    ["ua", "ru", "russia"].forEach(function (k) {
      self.terr[k] = L.polygon([], { renderer: self.canvas.territory, stroke: false,
        fillColor: C[k][0], fillOpacity: C[k][1], interactive: false }).addTo(map);
    });
    this.ghost = {};
    ["UA", "RU"].forEach(function (s) {
      self.ghost[s] = L.polygon([], { renderer: self.svg, stroke: false, fillColor: "url(#hatch-" + s + ")",
        fillOpacity: 1, interactive: false });
    });
    // how each side holds the front: a band on its own ground beside the line (`drawBands`)
    this.bands = {};
    ["UA1", "UA2", "RU1", "RU2"].forEach(function (key) {
      var opts = { renderer: self.canvas.front, interactive: false, lineCap: key.charAt(2) === "1" ? "butt" : "round" };
      self.bands[key] = [
        L.polyline([], Object.assign({ color: "white" }, opts)).addTo(map),
        L.polyline([], Object.assign({ color: C.hold[key.slice(0, 2)] }, opts)).addTo(map)
      ];
    });
    this.shownBands = [];
    this.frontCasing = L.polyline([], { renderer: this.canvas.front, color: "white", weight: FRONT_W + 2, interactive: false }).addTo(map);
    this.frontLine = L.polyline([], { renderer: this.canvas.front, color: C.front, weight: FRONT_W, interactive: false }).addTo(map);
    this.altFront = L.polyline([], { renderer: this.canvas.front, color: C.whatif, weight: 3, dashArray: "9 5", interactive: false });
    this.marks = L.layerGroup().addTo(map);
    this.bursts = L.layerGroup().addTo(map);
    this.goneLayer = L.layerGroup().addTo(map);
    this.unitLayer = L.layerGroup().addTo(map);
    this.objective = L.polyline([], { color: C.selected, weight: 3, dashArray: "8 6", interactive: false, pane: "units" });
    this.labelLayer = L.layerGroup().addTo(map);
    this.markers = {};
    this.drawnKey = null;
    map.on("zoomend", function () { self.placeLabels(); self.drawnKey = null; requestDraw(); });
    map.on("resize", function () { self.placeLabels(); self.drawnKey = null; requestDraw(); });
    map.on("click", function () { if (state.selected !== null) { state.selected = null; requestDraw(true); } });
  }
  MapView.prototype.home = function () {
    var run = this.run, xs = [], ys = [];
    // every place a unit stood or fought (sim/view/render.py, default_bounds)
    for (var u = 0; u < run.d.tracks.length; u++) {
      var t = run.d.tracks[u];
      for (var j = 0; j < t.length; j++) { xs.push(MAP.nodes.x[t[j][1]]); ys.push(MAP.nodes.y[t[j][1]]); }
    }
    run.d.battles.forEach(function (b) { xs.push(MAP.nodes.x[b[1]]); ys.push(MAP.nodes.y[b[1]]); });
    if (!xs.length) return this.bounds;
    var m = 14; // km of margin
    return L.latLngBounds(ll(Math.min.apply(null, xs) - m, Math.min.apply(null, ys) - m),
      ll(Math.max.apply(null, xs) + m, Math.max.apply(null, ys) + m));
  };
  MapView.prototype.drawBase = function () {
    var map = this.map, r = this.canvas.base, opts = { renderer: r, interactive: false };
    L.rectangle(this.bounds, Object.assign({ stroke: true, color: "rgb(120,115,105)", weight: 1,
      fillColor: C.land, fillOpacity: 1 }, opts)).addTo(map);
    this.roadLayers = [];
    MAP.water.forEach(function (w) {
      L.polygon(flatToLatLngs(w), Object.assign({ color: C.river, weight: 1, fillColor: C.water, fillOpacity: 1 }, opts)).addTo(map);
    });
    var self = this;
    ["local", "secondary", "main", "highway"].forEach(function (cls) {
      var e = MAP.roads[cls], lines = [];
      for (var i = 0; i < e.length; i += 2) {
        lines.push([ll(MAP.nodes.x[e[i]], MAP.nodes.y[e[i]]), ll(MAP.nodes.x[e[i + 1]], MAP.nodes.y[e[i + 1]])]);
      }
      self.roadLayers.push(L.polyline(lines, Object.assign({ color: C.roads[cls][0], weight: C.roads[cls][1] }, opts)).addTo(map));
    });
    MAP.rivers.forEach(function (line) {
      L.polyline(flatToLatLngs(line), Object.assign({ color: C.river, weight: 3 }, opts)).addTo(map);
    });
    var rail = [], e = MAP.rail;
    for (var i = 0; i < e.length; i += 2) {
      rail.push([ll(MAP.nodes.x[e[i]], MAP.nodes.y[e[i]]), ll(MAP.nodes.x[e[i + 1]], MAP.nodes.y[e[i + 1]])]);
    }
    this.roadLayers.push(L.polyline(rail, Object.assign({ color: C.rail, weight: 2, dashArray: "6 4" }, opts)).addTo(map));
    MAP.border.forEach(function (line) {
      L.polyline(flatToLatLngs(line), Object.assign({ color: C.border, weight: 2, dashArray: "10 6" }, opts)).addTo(map);
    });
    MAP.crossings.forEach(function (c) {
      if (c.kind !== "bridge" && c.kind !== "rail_bridge") return;
      var x = (MAP.nodes.x[c.u] + MAP.nodes.x[c.v]) / 2, y = (MAP.nodes.y[c.u] + MAP.nodes.y[c.v]) / 2;
      L.marker(ll(x, y), { pane: "base", interactive: false, keyboard: false,
        icon: L.divIcon({ className: "", iconSize: [7, 7], iconAnchor: [3.5, 3.5],
          html: '<div style="width:7px;height:7px;background:white;border:1px solid rgb(20,20,20)"></div>' }) }).addTo(map);
    });
    var order = MAP.nodes.id.map(function (_, i) { return i; });
    order.sort(function (a, b) { return MAP.nodes.population[a] - MAP.nodes.population[b] || (MAP.nodes.id[a] < MAP.nodes.id[b] ? 1 : -1); });
    order.forEach(function (i) { // small first, big on top
      L.circleMarker(ll(MAP.nodes.x[i], MAP.nodes.y[i]), Object.assign({ radius: townRadius(MAP.nodes.population[i]),
        color: "rgb(40,40,40)", weight: 1, fillColor: C.terrain[MAP.nodes.terrain[i]], fillOpacity: 1 }, opts)).addTo(map);
    });
  };
  /** Town names placed greedily, biggest towns first (sim/view/basemap.py, _place_labels). */
  var SPLIT = { izium_s: "izium_n", kupiansk_w: "kupiansk_e" };
  var SPLIT_OTHER = { izium_n: true, kupiansk_e: true };
  var measure = document.createElement("canvas").getContext("2d");
  MapView.prototype.placeLabels = function () {
    var map = this.map;
    this.labelLayer.clearLayers();
    if (!state.layers.labels) return;
    var size = map.getSize(), order = MAP.nodes.id.map(function (_, i) { return i; });
    order.sort(function (a, b) { return MAP.nodes.population[b] - MAP.nodes.population[a] || (MAP.nodes.id[a] < MAP.nodes.id[b] ? -1 : 1); });
    var pts = order.map(function (i) { return map.latLngToContainerPoint(ll(MAP.nodes.x[i], MAP.nodes.y[i])); });
    var dots = order.map(function (i, j) {
      var r = townRadius(MAP.nodes.population[i]);
      return [MAP.nodes.population[i], pts[j].x - r, pts[j].y - r, pts[j].x + r, pts[j].y + r];
    });
    var placed = [], grow = Math.max(1, Math.min(1.5, uiScale(this.el))); // a projector: larger names
    function hit(a, b) { return a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]; }
    for (var j = 0; j < order.length; j++) {
      var i = order[j], id = MAP.nodes.id[i], name = MAP.nodes.name[i];
      if (SPLIT_OTHER[id]) continue;
      var text = SPLIT[id] ? name.split(" (")[0] : name;
      var pop = MAP.nodes.population[i] + (SPLIT[id] ? MAP.nodes.population[NODE_INDEX[SPLIT[id]]] || 0 : 0);
      var fs = pop >= 100000 ? 17 : pop >= 20000 ? 14 : pop >= 5000 ? 12 : 10, bold = pop >= 20000;
      fs = Math.round(fs * grow);
      measure.font = (bold ? "bold " : "") + fs + 'px "DejaVu Sans", sans-serif';
      var w = Math.ceil(measure.measureText(text).width), h = Math.ceil(fs * 1.15);
      var x = pts[j].x, y = pts[j].y, r = townRadius(MAP.nodes.population[i]) + 2;
      var own = [x - r, y - r, x + r, y + r];
      var tries = [[x + r, y - h / 2], [x - r - w, y - h / 2], [x - w / 2, y - r - h], [x - w / 2, y + r], [x + r, y - h], [x + r, y]];
      for (var t = 0; t < tries.length; t++) {
        var rect = [tries[t][0], tries[t][1], tries[t][0] + w, tries[t][1] + h];
        if (rect[0] < 0 || rect[1] < 0 || rect[2] > size.x || rect[3] > size.y) continue;
        if (placed.some(function (p) { return hit(rect, p); })) continue;
        var floor = MAP.nodes.population[i] >= 20000 ? 3000 : 0;
        if (dots.some(function (d) { return d[0] >= floor && hit(rect, d.slice(1)) && !hit(d.slice(1), own); })) continue;
        var key = pop >= KEY_LABEL_POPULATION;
        L.marker(map.containerPointToLatLng([rect[0], rect[1]]), {
          pane: key ? "keylabels" : "labels", interactive: false, keyboard: false,
          icon: L.divIcon({ className: "", iconSize: [w, h], iconAnchor: [0, 0],
            html: '<div class="lbl' + (key ? " key" : "") + '" style="font-size:' + fs + "px;font-weight:" + (bold ? "bold" : "normal") + '">' + esc(text) + "</div>" })
        }).addTo(this.labelLayer);
        placed.push([rect[0] - 2, rect[1] - 1, rect[2] + 2, rect[3] + 1]);
        break;
      }
    }
  };
  function cellsOf(list) { return list.map(function (i) { return flatToLatLngs(MAP.cells[i]); }); }
  /** Territory and front line of hour k (only redrawn when control changes). */
  MapView.prototype.drawTerritory = function (k, alt) {
    var run = this.run;
    var control = run.controlString(k), altControl = alt ? alt.controlString(Math.min(k, alt.hours)) : "";
    var sig = control + altControl + state.layers.territory;
    this.el.dataset.control = control;
    this.el.dataset.hour = String(k);
    if (sig === this.terrSig) return;
    this.terrSig = sig;
    var show = state.layers.territory, groups = { ua: [], ru: [], russia: [] }, i;
    for (i = 0; i < N; i++) {
      if (run.held(k, i)) groups.ua.push(i); else if (MAP.nodes.russia[i]) groups.russia.push(i); else groups.ru.push(i);
    }
    for (var g in groups) this.terr[g].setLatLngs(show ? cellsOf(groups[g]) : []);
    this.frontCasing.setLatLngs(show ? this.front(run, k) : []);
    this.frontLine.setLatLngs(show ? this.front(run, k) : []);
    var ghostOn = show && alt, ka = alt ? Math.min(k, alt.hours) : 0;
    ["UA", "RU"].forEach(function (s) {
      var cells = [];
      if (ghostOn) for (i = 0; i < N; i++) {
        var a = alt.held(ka, i);
        if (a !== run.held(k, i) && (a ? "UA" : "RU") === s) cells.push(i);
      }
      this.ghost[s].setLatLngs(cellsOf(cells));
      if (ghostOn && !this.map.hasLayer(this.ghost[s])) this.ghost[s].addTo(this.map);
      if (!ghostOn && this.map.hasLayer(this.ghost[s])) this.map.removeLayer(this.ghost[s]);
    }, this);
    if (ghostOn) {
      this.altFront.setLatLngs(this.front(alt, ka));
      if (!this.map.hasLayer(this.altFront)) this.altFront.addTo(this.map);
    } else if (this.map.hasLayer(this.altFront)) this.map.removeLayer(this.altFront);
  };
  /** The Voronoi ridges between ground held by different sides, leaving out the state border
   * (sim/view/placement.py, front_segments). */
  MapView.prototype.front = function (run, k) {
    var out = [];
    MAP.ridges.forEach(function (r) {
      var a = run.held(k, r[0]), b = run.held(k, r[1]);
      if (a !== b) {
        var ru = a ? r[1] : r[0];
        if (!MAP.nodes.russia[ru]) out.push([ll(r[2], r[3]), ll(r[4], r[5])]);
      }
    });
    return out;
  };
  /** How each side holds the front at hour k (sim/view/render.py, draw_front): beside the
   * line, on each side's ground, a solid band where it holds a line, a dashed one where it
   * screens, none at a gap. The bands are moved off the line by pixels, so they are worked
   * out again when the zoom changes. */
  MapView.prototype.drawBands = function (k) {
    var run = this.run, show = !!(state.layers.territory && state.layers.hold && run.hold);
    var zoom = this.map.getZoom(), ui = uiScale(this.el);
    var sig = show ? run.controlString(k) + run.holdString(k) + "|" + zoom + "|" + ui : "";
    if (sig === this.bandSig) return;
    this.bandSig = sig;
    this.el.dataset.hold = show ? run.holdString(k) : "";
    var chains = this.shownBands = show ? frontBands(run, k) : [], lines = {};
    chains.forEach(function (b) {
      var dist = holdBand(b.level, ui)[1] / Math.pow(2, zoom); // px -> km (CRS.Simple)
      (lines[b.side + b.level] = lines[b.side + b.level] || []).push(
        offsetLeft(b.points, dist).map(function (p) { return ll(p[0], p[1]); }));
    });
    for (var key in this.bands) {
      var level = +key.charAt(2), w = holdBand(level, ui)[0];
      var dash = level === 1 ? Math.max(3, Math.round(8 * ui)) + " " + Math.max(2, Math.round(6 * ui)) : null;
      this.bands[key][0].setStyle({ weight: w + 2, dashArray: dash }).setLatLngs(lines[key] || []);
      this.bands[key][1].setStyle({ weight: w, dashArray: dash }).setLatLngs(lines[key] || []);
    }
  };
  /** [width, offset] px of a band of `level` (sim/view/style.py, hold_band_px). */
  function holdBand(level, ui) {
    var w = level >= 2 ? Math.max(3, Math.round(7 * ui)) : Math.max(2, Math.round(4 * ui));
    return [w, FRONT_W / 2 + 1 + w / 2];
  }
  /** Each side's stretches of the front by how it holds the place behind them, joined into
   * polylines with its ground on their left (sim/view/placement.py, front_bands; the ridges
   * run with the first node's cell on their left). */
  function frontBands(run, k) {
    var segs = {};
    MAP.ridges.forEach(function (r) {
      var a = run.held(k, r[0]), b = run.held(k, r[1]);
      if (a === b) return;
      var ua = a ? r[0] : r[1], ru = a ? r[1] : r[0];
      if (MAP.nodes.russia[ru]) return;
      [["UA", ua], ["RU", ru]].forEach(function (sn) {
        var level = run.holdAt(k, sn[1]);
        if (level <= 0) return;
        var key = sn[0] + level;
        (segs[key] = segs[key] || []).push(sn[1] === r[0] ? [[r[2], r[3]], [r[4], r[5]]] : [[r[4], r[5]], [r[2], r[3]]]);
      });
    });
    var out = [];
    Object.keys(segs).sort().forEach(function (key) {
      chain(segs[key]).forEach(function (pts) { out.push({ side: key.slice(0, 2), level: +key.charAt(2), points: pts }); });
    });
    return out;
  }
  /** Directed segments joined end to start (sim/view/placement.py, _chain). */
  function chain(segs) {
    function key(p) { return p[0].toFixed(2) + "," + p[1].toFixed(2); }
    var starts = {}, ends = {}, used = [], lines = [], order = [], n;
    for (n = 0; n < segs.length; n++) {
      (starts[key(segs[n][0])] = starts[key(segs[n][0])] || []).push(n);
      ends[key(segs[n][1])] = true;
      used.push(false);
    }
    for (n = 0; n < segs.length; n++) if (!ends[key(segs[n][0])]) order.push(n);
    for (n = 0; n < segs.length; n++) order.push(n);
    order.forEach(function (first) {
      if (used[first]) return;
      used[first] = true;
      var line = [segs[first][0], segs[first][1]], at = key(segs[first][1]);
      for (;;) {
        var cand = starts[at] || [], nxt = -1;
        for (var c = 0; c < cand.length; c++) if (!used[cand[c]]) { nxt = cand[c]; break; }
        if (nxt < 0) break;
        used[nxt] = true;
        line.push(segs[nxt][1]);
        at = key(segs[nxt][1]);
      }
      lines.push(line);
    });
    return lines;
  }
  /** A km polyline (y north) moved `dist` km to its left, corners mitred (at most twice out);
   * a ring stays closed (sim/view/placement.py, offset_left). */
  function offsetLeft(pts, dist) {
    var p = [pts[0]], i;
    for (i = 1; i < pts.length; i++) {
      if (Math.hypot(pts[i][0] - p[p.length - 1][0], pts[i][1] - p[p.length - 1][1]) > 1e-9) p.push(pts[i]);
    }
    if (p.length < 2) return p;
    var closed = p.length > 3 && Math.hypot(p[0][0] - p[p.length - 1][0], p[0][1] - p[p.length - 1][1]) < 1e-6;
    var normals = [];
    for (i = 0; i + 1 < p.length; i++) {
      var dx = p[i + 1][0] - p[i][0], dy = p[i + 1][1] - p[i][1], d = Math.hypot(dx, dy);
      normals.push([-dy / d, dx / d]);
    }
    var out = [];
    for (i = 0; i < p.length; i++) {
      var a = i > 0 ? normals[i - 1] : closed ? normals[normals.length - 1] : null;
      var b = i < normals.length ? normals[i] : closed ? normals[0] : null;
      a = a || b; b = b || a;
      var mx = a[0] + b[0], my = a[1] + b[1], m = Math.hypot(mx, my);
      if (m < 1e-9) { mx = a[0]; my = a[1]; m = 1; }
      mx /= m; my /= m;
      var scale = dist / Math.max(mx * a[0] + my * a[1], 0.5);
      out.push([p[i][0] + mx * scale, p[i][1] + my * scale]);
    }
    return out;
  }
  MapView.prototype.drawMarks = function (k) {
    var run = this.run;
    var sig = k + "|" + state.layers.battles + "|" + Math.floor(state.t) + "|" + (state.t > Math.floor(state.t));
    if (sig === this.marksSig) return;
    this.marksSig = sig;
    this.marks.clearLayers();
    this.bursts.clearLayers();
    var ui = uiScale(this.el), st = run.crossings[k], r = 7 * ui;
    MAP.crossings.forEach(function (c) {
      var s = st[c.id];
      if (!s) return;
      var x = (MAP.nodes.x[c.u] + MAP.nodes.x[c.v]) / 2, y = (MAP.nodes.y[c.u] + MAP.nodes.y[c.v]) / 2, html;
      var d = Math.round(2 * r + 8);
      if (s === "destroyed") {
        html = '<svg width="' + d + '" height="' + d + '" viewBox="0 0 ' + d + " " + d + '"><g stroke-linecap="round">' +
          ['white', C.destroyed].map(function (col, n) {
            var w = n ? 4 * ui : 6 * ui;
            return '<path d="M4 4L' + (d - 4) + " " + (d - 4) + "M4 " + (d - 4) + "L" + (d - 4) + ' 4" stroke="' + col + '" stroke-width="' + w + '"/>';
          }).join("") + "</g></svg>";
      } else if (s === "pontoon") {
        html = '<svg width="' + d + '" height="' + d + '"><circle cx="' + d / 2 + '" cy="' + d / 2 + '" r="' + (r + 1) +
          '" fill="white" stroke="' + C.pontoon + '" stroke-width="' + Math.max(2, 2 * ui) + '"/><text x="50%" y="50%" dy="0.35em" text-anchor="middle" font-weight="bold" font-size="' +
          Math.round(11 * ui) + '" fill="' + C.pontoon + '">P</text></svg>';
      } else return;
      L.marker(ll(x, y), { pane: "marks", interactive: false, keyboard: false,
        icon: L.divIcon({ className: "xmark", iconSize: [d, d], iconAnchor: [d / 2, d / 2], html: html }) }).addTo(this.marks);
    }, this);
    if (!state.layers.battles) return;
    var kk = Math.min(Math.floor(state.t), run.hours);
    var h = state.t > kk ? kk + 1 : kk, by = {};
    (run.battles[h] || []).forEach(function (b) { by[b[1]] = Math.max(by[b[1]] || 0, b[2]); });
    Object.keys(by).sort().forEach(function (node) {
      var rad = battleRadius(by[node], ui), d = Math.ceil(2 * rad + 6), pts = [];
      for (var i = 0; i < 16; i++) {
        var a = Math.PI * i / 8, rr = i % 2 ? rad * 0.5 : rad;
        pts.push((d / 2 + rr * Math.cos(a)).toFixed(1) + "," + (d / 2 + rr * Math.sin(a)).toFixed(1));
      }
      L.marker(ll(MAP.nodes.x[node], MAP.nodes.y[node]), { pane: "battles", interactive: false, keyboard: false,
        icon: L.divIcon({ className: "", iconSize: [d, d], iconAnchor: [d / 2, d / 2],
          html: '<svg class="burst" width="' + d + '" height="' + d + '"><polygon points="' + pts.join(" ") + '" fill="' + C.burst + '" stroke="' + C.burstLine + '" stroke-width="2"/></svg>' })
      }).addTo(this.bursts);
    }, this);
  };
  /** Units at time t: positions interpolated between hours; several on one spot fanned out in
   * rows of three above it (sim/view/placement.py, unit_placements). */
  MapView.prototype.drawUnits = function (t) {
    var run = this.run, map = this.map, d = run.d;
    var k = Math.min(Math.floor(t + 1e-9), run.hours), frac = k < run.hours ? t - k : 0;
    var show = state.layers.units, ui = uiScale(this.el), size = Math.round(20 * ui);
    var fw = 1.5 * size, spots = {}, seen = {}, self = this;
    if (show) for (var u = 0; u < d.units.length; u++) {
      var row = run.unitAt(u, k);
      if (!run.active(row)) continue;
      var p = run.position(row);
      if (frac > 0) {
        var nx = run.unitAt(u, k + 1);
        if (run.active(nx)) {
          var q = run.position(nx);
          p = [p[0] + frac * (q[0] - p[0]), p[1] + frac * (q[1] - p[1])];
        }
      }
      var px = map.latLngToContainerPoint(ll(p[0], p[1]));
      var key = Math.round(px.x / 4) + "," + Math.round(px.y / 4);
      (spots[key] = spots[key] || []).push({ u: u, row: row, px: px });
    }
    var symH = size * 1.75;
    Object.keys(spots).forEach(function (key) {
      var group = spots[key];
      group.sort(function (a, b) {
        var ua = d.units[a.u], ub = d.units[b.u];
        return ua.side < ub.side ? -1 : ua.side > ub.side ? 1 : ua.id < ub.id ? -1 : ua.id > ub.id ? 1 : 0;
      });
      var n = group.length, cols = Math.min(n, 3);
      group.forEach(function (m, idx) {
        var rowi = Math.floor(idx / cols), col = idx % cols, inRow = Math.min(cols, n - rowi * cols);
        var cx = m.px.x + (col - (inRow - 1) / 2) * (fw + 24 * ui);
        var cy = n > 1 ? m.px.y - rowi * (symH + 2 * ui) : m.px.y;
        self.placeUnit(m.u, m.row, L.point(cx, cy), size);
        seen[m.u] = true;
      });
    });
    for (var id in this.markers) if (!seen[id]) { this.unitLayer.removeLayer(this.markers[id].marker); delete this.markers[id]; }
    // grey crosses where units left the field, fading over a day
    this.goneLayer.clearLayers();
    if (show) for (var g in run.goneSince) {
      var since = run.goneSince[g];
      if (k - since >= 0 && k - since < GONE_SHOWN_H) {
        var r2 = run.unitAt(+g, k);
        if (r2 && run.d.statuses[r2[5]] === "left") continue; // sent away on orders, not lost
        var pos = run.position(r2), a = Math.sqrt(1 - (k - since) / GONE_SHOWN_H), s2 = Math.round(12 * ui);
        L.marker(ll(pos[0], pos[1]), { pane: "battles", interactive: false, keyboard: false, opacity: a,
          icon: L.divIcon({ className: "gone", iconSize: [s2, s2], iconAnchor: [s2 / 2, s2 / 2],
            html: '<svg width="' + s2 + '" height="' + s2 + '"><path d="M2 2L' + (s2 - 2) + " " + (s2 - 2) + "M2 " + (s2 - 2) + "L" + (s2 - 2) + ' 2" stroke="' + C.gone + '" stroke-width="3"/></svg>' })
        }).addTo(this.goneLayer);
      }
    }
    // the selected unit: framed, with a dashed line to its objective
    var sel = state.selected, mk = sel !== null ? this.markers[sel] : null;
    if (mk && mk.row[10] >= 0 && mk.row[10] !== mk.row[1]) {
      this.objective.setLatLngs([mk.marker.getLatLng(), ll(MAP.nodes.x[mk.row[10]], MAP.nodes.y[mk.row[10]])]);
      if (!map.hasLayer(this.objective)) this.objective.addTo(map);
    } else if (map.hasLayer(this.objective)) map.removeLayer(this.objective);
  };
  MapView.prototype.placeUnit = function (u, row, point, size) {
    var run = this.run, facts = run.d.units[u], routed = run.d.postures[row[4]] === "rout";
    var sym = unitSymbol(facts, routed, size), latlng = this.map.containerPointToLatLng(point);
    var m = this.markers[u], barW = Math.round(1.5 * size), barTop = Math.round(sym.ay + size / 2 + 3);
    var tagLeft = Math.round(sym.ax + 0.75 * size + 3), tagTop = Math.round(sym.ay - size / 2 - 2);
    var look = sym.url + "|" + row[6] + "|" + (state.selected === u);
    if (!m) {
      var marker = L.marker(latlng, { pane: "units", keyboard: false, riseOnHover: true,
        icon: L.divIcon({ className: "", iconSize: [0, 0], iconAnchor: [0, 0], html: "" }) });
      marker.on("click", function (e) { L.DomEvent.stopPropagation(e); state.selected = u; requestDraw(true); });
      marker.addTo(this.unitLayer);
      m = this.markers[u] = { marker: marker, look: "" };
    } else m.marker.setLatLng(latlng);
    m.row = row;
    if (m.look !== look) {
      m.look = look;
      var el = m.marker.getElement();
      var bar = Math.max(0, Math.min(1, row[6]));
      el.innerHTML = '<div class="unit' + (state.selected === u ? " sel" : "") + '" data-unit="' + esc(facts.id) + '" title="' + esc(facts.name) + '" style="left:' + (-sym.ax) + "px;top:" + (-sym.ay) + 'px">' +
        '<img alt="' + esc(facts.name) + '" src="' + sym.url + '" width="' + sym.w + '" height="' + sym.h + '">' +
        '<span class="bar" style="left:' + Math.round(sym.ax - barW / 2) + "px;top:" + barTop + "px;width:" + barW + 'px"><i style="width:' + (100 * bar).toFixed(1) + "%;background:" + C.line[facts.side] + '"></i></span>' +
        '<span class="tag" style="left:' + tagLeft + "px;top:" + tagTop + "px;font-size:" + Math.round(0.55 * size) + "px;color:" + C.line[facts.side] + '">' + esc(designation(facts.name)) + "</span></div>";
    }
  };
  MapView.prototype.draw = function (alt) {
    var k = hour();
    var kk = Math.min(k, this.run.hours);
    this.drawTerritory(kk, alt);
    this.drawBands(kk);
    this.drawMarks(kk);
    this.drawUnits(Math.min(state.t, this.run.hours));
    this.roadLayers.forEach(function (l) { l.setStyle({ opacity: state.layers.roads ? 1 : 0 }); });
  };

  // ------------------------------------------------------------------ the page
  var $ = function (id) { return document.getElementById(id); };
  $("title").textContent = BASE.d.title + " · seed " + BASE.d.seed;
  document.title = (WHATIF ? WHATIF.title + " · " : "") + BASE.d.title;
  var views = [new MapView($("map"), BASE, { attribution: true })];
  var altView = null;
  if (ALT) {
    $("b-mode").hidden = false;
    $("title-a").textContent = "Base run";
    $("title-b").textContent = /^what if/i.test(WHATIF.title) ? WHATIF.title : "What if: " + WHATIF.title;
  }
  function ensureAltView() {
    if (altView || !ALT) return;
    $("map2").hidden = false;
    altView = new MapView($("map2"), ALT, {});
    var a = views[0].map, b = altView.map, syncing = false;
    function sync(from, to) {
      from.on("move", function () {
        if (syncing) return;
        syncing = true; to.setView(from.getCenter(), from.getZoom(), { animate: false }); syncing = false;
      });
    }
    sync(a, b); sync(b, a);
    b.setView(a.getCenter(), a.getZoom(), { animate: false });
    altView.placeLabels();
  }
  function resetView() {
    views[0].map.fitBounds(views[0].home(), { animate: false });
    views[0].placeLabels();
  }
  resetView();

  // ------------------------------------------------------------------ sidebar
  function drawClock(k) {
    var ms = BASE.time(k), d = new Date(ms);
    $("date").textContent = DAYS[d.getUTCDay()] + " " + d.getUTCDate() + " " + MONTHS[d.getUTCMonth()] + " " + d.getUTCFullYear();
    $("time").textContent = hhmm(ms);
    var day = Math.floor((ms - Date.UTC(new Date(BASE.start).getUTCFullYear(), new Date(BASE.start).getUTCMonth(), new Date(BASE.start).getUTCDate())) / 86400000) + 1;
    var end = BASE.time(BASE.hours), days = Math.floor((end - BASE.start) / 86400000 + (new Date(BASE.start).getUTCHours() / 24)) + 1;
    $("dayline").textContent = "day " + day + " of " + days + " · hour " + k + " of " + BASE.hours;
    $("status").textContent = state.playing ? "\u25B6 playing, " + SPEEDS[state.speed] + " h per second" : "\u275A\u275A paused (space: play)";
    $("speed").textContent = SPEEDS[state.speed] + " h/s";
    $("b-play").innerHTML = state.playing ? "&#x275A;&#x275A;" : "&#x25B6;";
    $("b-play").setAttribute("aria-label", state.playing ? "pause" : "play");
  }
  var tickerSig = null;
  function drawTicker(k) {
    $("ticker").hidden = !state.layers.ticker;
    var sig = k + "|" + state.layers.ticker;
    if (sig === tickerSig) return;
    tickerSig = sig;
    var items = BASE.d.ticker.filter(function (i) { return i.hour <= k; }).reverse().slice(0, 60);
    $("events").innerHTML = items.map(function (i) {
      var fresh = k - i.hour < FRESH_H;
      return '<li class="' + (fresh ? "fresh" : i.history ? "" : "old") + '"><span class="tag' + (i.history ? " h" : "") + '">' +
        (i.history ? "HISTORY" : "MODEL") + '</span><span class="when ' + (i.history ? "" : esc(i.side)) + '">' +
        shortTime(parseTime(i.time)) + '</span><span class="text">' + esc(i.text) + "</span></li>";
    }).join("");
  }
  function meter(label, v, colour) {
    var f = Math.max(0, Math.min(1, v));
    return '<div class="meter"><span>' + label + '</span><span class="bar"><i style="width:' + (100 * f).toFixed(1) + "%;background:" + colour + '"></i></span><b>' + Math.round(100 * v) + "%</b></div>";
  }
  var panelSig = null;
  function drawPanel(k) {
    var u = state.selected, sig = u + "|" + k + "|" + state.layers.legend;
    if (sig === panelSig) return;
    panelSig = sig;
    if (u === null) {
      $("panel").hidden = true; $("panel").innerHTML = "";
      $("legend").hidden = !state.layers.legend || !!WHATIF;
      return;
    }
    $("legend").hidden = true; $("panel").hidden = false;
    var d = BASE.d, f = d.units[u], row = BASE.unitAt(u, k), ink = f.side === "UA" ? "var(--ua)" : "var(--ru)";
    var side = (d.side_names && d.side_names[f.side]) || SIDE_NAMES[f.side];
    var html = '<h3 class="' + f.side + '">' + esc(f.name) + '</h3><div class="sub">' + esc(side) + " · " + esc(TYPE_NAMES[f.type] || f.type) + " " + esc(f.echelon) + "</div>";
    if (f.parent) html += '<div class="sub">Parent: ' + esc(f.parent) + "</div>";
    if (!row) {
      html += "<p>Not yet on the map at this time.</p>";
    } else {
      var where = MAP.nodes.name[row[1]] + (row[2] >= 0 ? " \u2192 " + MAP.nodes.name[row[2]] : "");
      var status = d.statuses[row[5]];
      html += "<div>Status: " + esc(status) + (status === "active" ? "" : " (hour " + BASE.goneSince[u] + ")") + "</div>" +
        "<div>Posture: " + esc(d.postures[row[4]]) + (row[11] ? " · in combat" : "") + "</div>" +
        "<div>Task: " + esc(row[9] >= 0 ? d.tasks[row[9]] : "\u2014") + (row[10] >= 0 ? " \u2192 " + esc(MAP.nodes.name[row[10]]) : "") + "</div>" +
        "<div>At: " + esc(where) + "</div>" +
        meter("Strength", row[6], ink) + meter("Morale", row[7], ink) + meter("Supply", row[8], ink) +
        "<table><tr><th>Equipment</th><th>now</th><th>start</th><th>lost</th></tr>";
      for (var i = 0; i < ITEM_NAMES.length; i++) {
        var now = row[12][i], start = f.initial[i] || 0;
        if (!now && !start) continue;
        html += "<tr><td>" + ITEM_NAMES[i] + "</td><td>" + now.toLocaleString("en") + "</td><td>" + start.toLocaleString("en") + "</td><td>" + (start - now).toLocaleString("en") + "</td></tr>";
      }
      html += "</table>";
    }
    if (f.source) html += '<p class="src">Source: ' + esc(f.source) + "</p>";
    html += '<p class="close">Esc or a click on the map: close</p>';
    $("panel").innerHTML = html;
  }
  function legendHTML() {
    function sw(colour, alpha) { return '<span class="sw" style="background:' + colour + ";opacity:" + Math.min(1, alpha * 2.2).toFixed(2) + '"></span>'; }
    function line(colour, w, dash) {
      return '<svg width="36" height="12"><line x1="0" y1="6" x2="36" y2="6" stroke="' + colour + '" stroke-width="' + w + '"' + (dash ? ' stroke-dasharray="' + dash + '"' : "") + "/></svg>";
    }
    function sym(side, type, routed) {
      var s = unitSymbol({ id: "legend-" + side + type, name: "", side: side, type: type, echelon: "brigade" }, routed, 16);
      return '<img alt="" src="' + s.url + '" width="' + s.w + '" height="' + s.h + '">';
    }
    /** The front as the map draws it at `level`: Ukraine's band above, Russia's below. */
    function front(level) {
      var out = '<svg width="36" height="20">', w = level === 2 ? 4 : 3, dash = level === 1 ? ' stroke-dasharray="5 3"' : "";
      if (level) [["UA", 10 - (2.5 + w / 2)], ["RU", 10 + (2.5 + w / 2)]].forEach(function (b) {
        ["white", C.hold[b[0]]].forEach(function (col, n) {
          out += '<line x1="0" y1="' + b[1] + '" x2="36" y2="' + b[1] + '" stroke="' + col + '" stroke-width="' + (n ? w : w + 2) + '"' + dash + "/>";
        });
      });
      return out + '<line x1="0" y1="10" x2="36" y2="10" stroke="white" stroke-width="4"/><line x1="0" y1="10" x2="36" y2="10" stroke="' + C.front + '" stroke-width="2"/></svg>';
    }
    var rows = [
      [sw(C.ua[0], C.ua[1]), "Held by Ukraine"], [sw(C.ru[0], C.ru[1]), "Held by Russia"],
      [sw(C.russia[0], C.russia[1]), "Russia"], [line(C.front, 3), "Front line"],
      [line(C.whatif, 3, "9 5"), "What-if front"], [line(C.roads.highway[0], 4), "Highway"],
      [line(C.roads.main[0], 3), "Main road"], [line(C.rail, 2, "6 4"), "Railway"],
      [line(C.river, 3), "River"], [line(C.border, 2, "10 6"), "State border"],
      [sym("UA", "mechanised"), "Ukrainian unit"], [sym("RU", "armour"), "Russian unit"],
      [sym("RU", "infantry", true), "Routed unit"],
      ['<svg width="20" height="20"><path d="M4 4L16 16M4 16L16 4" stroke="' + C.destroyed + '" stroke-width="4"/></svg>', "Bridge destroyed"],
      ['<svg width="20" height="20"><circle cx="10" cy="10" r="8" fill="white" stroke="' + C.pontoon + '" stroke-width="2"/><text x="10" y="14" text-anchor="middle" font-size="11" font-weight="bold" fill="' + C.pontoon + '">P</text></svg>', "Pontoon"],
      ['<svg width="20" height="20"><polygon points="18,10 13.7,11.5 15.7,15.7 11.5,13.7 10,18 8.5,13.7 4.3,15.7 6.3,11.5 2,10 6.3,8.5 4.3,4.3 8.5,6.3 10,2 11.5,6.3 15.7,4.3 13.7,8.5" fill="' + C.burst + '" stroke="' + C.burstLine + '"/></svg>', "Combat this hour"],
      ["<b>\u25BC</b>", "Record: who held a place"], ["<b>\u25CF</b>", "Run: when it matched"]
    ];
    if (!WHATIF) rows.splice(4, 1);
    if (BASE.hold && state.layers.hold && state.layers.territory) { // the front's three styles
      rows.splice(3, 1, [front(2), "Line held"], [front(1), "Screen (thin)"], [front(0), "Gap (not held)"]);
    }
    return "<h2>Legend</h2><div class=\"cols\">" + rows.map(function (r) { return '<div class="row">' + r[0] + "<span>" + r[1] + "</span></div>"; }).join("") +
      "</div><p class=\"src\">APP-6 frames: both sides rectangular, told apart by colour (a neutral classroom replay has no viewpoint). Bar under a symbol: strength now / at the start.</p>";
  }
  $("legend").innerHTML = legendHTML();
  $("credits").innerHTML = "Contains data from Natural Earth (public domain) and GeoNames (CC BY 4.0). " +
    "Unit positions follow Henry Schlottman's estimates published by uawardata.com (UAWD) and the scenario's sources; many are estimates. " +
    "The outcome is a simulation, not a record of events. Map drawn with Leaflet (BSD-2-Clause), symbols with milsymbol (MIT).";
  var whatifSig = null;
  function whatIfTitle(t) { return /^what if/i.test(t) ? t : "What if: " + t; }
  function list(lines) { return "<ul>" + lines.map(function (c) { return "<li>" + esc(c) + "</li>"; }).join("") + "</ul>"; }
  /** The what-if's block: the question, what was changed, the differences as far as the hour
   * shown; the context and the model's answer folded (a class answers the question first). */
  function drawWhatIf(k) {
    if (!WHATIF) return;
    var byHour = WHATIF.differences_by_hour || [], seen = null;
    for (var i = 0; i < byHour.length; i++) if (byHour[i][0] <= k) seen = byHour[i][1];
    var before = k < WHATIF.hour, sig = before ? "before" : JSON.stringify(seen);
    if (sig === whatifSig) return;
    whatifSig = sig;
    var box = $("whatif"), open = {};
    Array.prototype.forEach.call(box.querySelectorAll("details"), function (d) { open[d.className] = d.open; });
    var w = WHATIF, at = shortTime(BASE.time(w.hour));
    var html = '<h2 class="wi">' + esc(whatIfTitle(w.title)) + "</h2>";
    if (w.question) html += "<p><b>Question.</b> " + esc(w.question) + "</p>";
    html += "<p><b>Changed at " + esc(at) + ":</b></p>" + list(w.changes);
    if (before) html += "<p>Before " + esc(at) + " the two futures are one: play on.</p>";
    else html += "<p><b>Differences so far</b> (the what-if against the base):</p>" + list(seen || ["No difference yet."]);
    if (w.context) {
      html += '<details class="context"' + (open.context ? " open" : "") + "><summary>Context</summary><p>" + esc(w.context) +
        (w.source ? ' <span class="src">[' + esc(w.source) + "]</span>" : "") + "</p></details>";
    }
    html += '<details class="answer"' + (open.answer ? " open" : "") + "><summary>The model answers</summary>" +
      "<p>Seed " + BASE.d.seed + ", to the end of the run:</p>" + list(w.differences);
    if (w.answer) html += '<p class="answer">' + esc(w.answer) + ' <span class="src">(docs/lessons.md, over seeds 0\u20134)</span></p>';
    if (w.scores && w.scores.base !== undefined) html += '<p class="src">Fidelity against the record: base ' + w.scores.base + ", what-if " + w.scores.branch + " / 100</p>";
    html += "</details>";
    box.hidden = false;
    box.innerHTML = html;
  }
  function drawBanner(k) {
    var b = $("banner");
    if (!WHATIF || state.compare !== "overlay" || k < WHATIF.hour) { b.hidden = true; return; }
    b.hidden = false;
    b.textContent = whatIfTitle(WHATIF.title) + " (from " + shortTime(BASE.time(WHATIF.hour)) + ") \u2014 hatched: ground held otherwise in the branch; dashed purple: its front";
  }

  // ------------------------------------------------------------------ timeline
  var tl = $("tl"), tip = $("tip");
  var TL = { left: 12, right: 12 };
  function tlWidth() { return tl.clientWidth || 600; }
  function xOf(hours) { return TL.left + (tlWidth() - TL.left - TL.right) * hours / Math.max(1, BASE.hours); }
  function hoursAt(x) { return Math.max(0, Math.min(BASE.hours, (x - TL.left) / (tlWidth() - TL.left - TL.right) * BASE.hours)); }
  function hoursOf(ms) { return (ms - BASE.start) / 3600000; }
  var tlStatic = null;
  function drawTimelineStatic() {
    var w = tlWidth(), h = tl.clientHeight || 100, out = [], d = BASE.d;
    var y0 = 6, yMarks = Math.round(h * 0.42), yRun = Math.round(h * 0.62), yAlt = Math.round(h * 0.8);
    out.push('<text x="' + TL.left + '" y="' + (y0 + 10) + '" class="cap">Record (sourced): \u25BC who held a place by the end of that day, \u25A0 area or settlements; \u25CF when this run matched it (\u25CB outside tolerance)' + (ALT ? "; \u25C6 the what-if" : "") + "</text>");
    out.push('<rect x="' + TL.left + '" y="' + (h - 18) + '" width="' + (w - TL.left - TL.right) + '" height="3" fill="rgb(200,195,185)"/>');
    var first = Date.UTC(new Date(BASE.start).getUTCFullYear(), new Date(BASE.start).getUTCMonth(), new Date(BASE.start).getUTCDate());
    var ndays = Math.ceil((BASE.time(BASE.hours) - first) / 86400000), every = Math.max(1, Math.ceil(ndays / Math.max(1, w / 46)));
    for (var i = 0; i <= ndays; i++) {
      var hx = hoursOf(first + i * 86400000);
      if (hx < 0 || hx > BASE.hours) continue;
      var x = xOf(hx);
      out.push('<line class="day" x1="' + x + '" y1="' + y0 + '" x2="' + x + '" y2="' + (h - 14) + '"/>');
      if (i % every === 0) out.push('<text x="' + (x + 2) + '" y="' + (h - 2) + '">' + dayMonth(first + i * 86400000) + "</text>");
    }
    var marks = d.marks.map(function (m, j) { return { m: m, j: j }; }), slot = {};
    marks.forEach(function (o) {
      var m = o.m, x = xOf(hoursOf(parseTime(m.date))), col = m.holder === "UA" ? C.ua[0] : m.holder === "RU" ? C.ru[0] : "rgb(90,90,90)";
      var key = Math.round(x), n = slot[key] = (slot[key] || 0) + 1;
      x += (n - 1) * 9;
      o.x = x;
      var tipText = m.name + (m.holder ? " held by " + m.holder : "") + " (record: " + dayMonth(parseTime(m.date)) + (m.until ? " to " + dayMonth(parseTime(m.until)) : "") + ")";
      if (m.sim_date) {
        var sx = xOf(hoursOf(parseTime(m.sim_date)));
        tipText += "; run: " + shortTime(parseTime(m.sim_date)) + (m.error_days !== null ? " (" + (m.error_days > 0 ? "+" : "") + m.error_days.toFixed(1) + " d)" : "");
        out.push('<line x1="' + x + '" y1="' + yMarks + '" x2="' + sx + '" y2="' + yRun + '" stroke="' + col + '" stroke-opacity="0.6"/>');
        out.push('<circle data-tip="' + esc(tipText) + '" cx="' + sx + '" cy="' + yRun + '" r="5" fill="' + (m.ok ? col : "white") + '" stroke="' + col + '" stroke-width="2"/>');
      }
      if (m.kind === "control") {
        out.push('<polygon data-tip="' + esc(tipText) + '" points="' + (x - 6) + "," + (yMarks - 8) + " " + (x + 6) + "," + (yMarks - 8) + " " + x + "," + (yMarks + 3) + '" fill="' + col + '" stroke="rgb(25,25,30)"/>');
      } else {
        out.push('<rect data-tip="' + esc(m.name + " (record: " + dayMonth(parseTime(m.date)) + ")") + '" x="' + (x - 5) + '" y="' + (yMarks - 8) + '" width="10" height="10" fill="' + col + '" stroke="rgb(25,25,30)"/>');
      }
    });
    if (ALT) {
      var bx = xOf(WHATIF.hour);
      out.push('<line x1="' + bx + '" y1="' + y0 + '" x2="' + bx + '" y2="' + (h - 14) + '" stroke="' + C.whatif + '" stroke-width="3"/>');
      ALT.d.marks.forEach(function (m, j) {
        if (!m.sim_date || hoursOf(parseTime(m.sim_date)) < WHATIF.hour || m.kind !== "control") return;
        var sx = xOf(hoursOf(parseTime(m.sim_date))), col = m.holder === "UA" ? C.ua[0] : C.ru[0];
        var base = d.marks[j] && d.marks[j].sim_date ? xOf(hoursOf(parseTime(d.marks[j].sim_date))) : null;
        if (base !== null && Math.abs(base - sx) > 1) out.push('<line x1="' + base + '" y1="' + yRun + '" x2="' + sx + '" y2="' + yAlt + '" stroke="' + C.whatif + '"/>');
        out.push('<polygon data-tip="' + esc(m.name + " held by " + m.holder + ": branch " + shortTime(parseTime(m.sim_date)) + (d.marks[j] && d.marks[j].sim_date ? ", base " + shortTime(parseTime(d.marks[j].sim_date)) : "") + ", record " + dayMonth(parseTime(m.date))) +
          '" points="' + sx + "," + (yAlt - 6) + " " + (sx + 6) + "," + yAlt + " " + sx + "," + (yAlt + 6) + " " + (sx - 6) + "," + yAlt + '" fill="' + col + '" stroke="' + C.whatif + '" stroke-width="2"/>');
      });
    }
    tlStatic = out.join("");
  }
  function drawTimeline() {
    if (tlStatic === null) drawTimelineStatic();
    var x = xOf(state.t), h = tl.clientHeight || 100;
    tl.innerHTML = tlStatic + '<line class="head" x1="' + x + '" y1="2" x2="' + x + '" y2="' + (h - 14) + '"/>';
    tl.setAttribute("aria-valuenow", String(hour()));
  }
  var dragging = false;
  function scrubTo(ev) {
    var r = tl.getBoundingClientRect();
    state.t = Math.round(hoursAt(ev.clientX - r.left));
    state.playing = false;
    draw(); // at once: the hour under the pointer is the hour shown
  }
  tl.addEventListener("pointerdown", function (ev) { dragging = true; tl.setPointerCapture(ev.pointerId); scrubTo(ev); });
  tl.addEventListener("pointermove", function (ev) {
    if (dragging) { scrubTo(ev); return; }
    var t = ev.target && ev.target.getAttribute && ev.target.getAttribute("data-tip");
    if (t) {
      var r = tl.getBoundingClientRect();
      tip.hidden = false; tip.textContent = t;
      tip.style.left = Math.min(ev.clientX - r.left, r.width - 280) + "px";
    } else tip.hidden = true;
  });
  tl.addEventListener("pointerup", function () { dragging = false; });
  tl.addEventListener("pointerleave", function () { tip.hidden = true; });

  // ------------------------------------------------------------------ drawing and playing
  var pending = false;
  function requestDraw(all) {
    if (all) { panelSig = null; for (var i = 0; i < views.length; i++) views[i].marksSig = null; }
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(frame);
  }
  var last = null;
  function frame(now) {
    pending = false;
    if (state.playing) {
      if (last !== null) state.t = Math.min(BASE.hours, state.t + (now - last) / 1000 * SPEEDS[state.speed]);
      last = now;
      if (state.t >= BASE.hours) { state.playing = false; last = null; }
    } else last = null;
    draw();
    if (state.playing) requestDraw();
  }
  function draw() {
    var k = hour(), split = ALT && state.compare === "split";
    if (split) ensureAltView();
    $("map2").hidden = !split;
    $("title-a").hidden = !split;
    if (split) { views[0].map.invalidateSize(false); altView.map.invalidateSize(false); }
    else views[0].map.invalidateSize(false);
    var overlay = ALT && state.compare === "overlay" && k >= WHATIF.hour ? ALT : null;
    views[0].draw(overlay);
    if (split) altView.draw(null);
    drawClock(k);
    drawTicker(k);
    drawPanel(k);
    drawWhatIf(k);
    drawBanner(k);
    drawTimeline();
    document.body.dataset.hour = String(k);
    document.body.dataset.playing = state.playing ? "1" : "0";
  }
  function say(text) {
    var n = $("notice");
    n.textContent = text; n.hidden = false;
    clearTimeout(say.timer);
    say.timer = setTimeout(function () { n.hidden = true; }, 2500);
  }

  // ------------------------------------------------------------------ keys (docs/viewer.md)
  function setT(t) {
    state.t = Math.max(0, Math.min(BASE.hours, t));
    draw(); // at once: the page shows the hour asked for before anything else happens
    if (state.playing) requestDraw();
  }
  function playPause() {
    if (!state.playing && state.t >= BASE.hours) state.t = 0;
    state.playing = !state.playing;
    requestDraw();
  }
  function toggle(layer) {
    state.layers[layer] = !state.layers[layer];
    if (layer === "labels") views.concat(altView ? [altView] : []).forEach(function (v) { v.placeLabels(); });
    views.concat(altView ? [altView] : []).forEach(function (v) { v.terrSig = null; v.marksSig = null; });
    if (layer === "hold" || layer === "territory") $("legend").innerHTML = legendHTML();
    say((LAYER_WORDS[layer] || layer) + (state.layers[layer] ? " on" : " off"));
    requestDraw(true);
  }
  var LAYER_WORDS = { hold: "how the front is held" };
  /** The dates key j accepts (sim/view/controls.py, parse_jump). */
  function parseJump(text) {
    text = text.trim();
    var s = new Date(BASE.start), m, ms;
    if ((m = /^(\d{4})-(\d\d)-(\d\d)(?:[ T](\d\d?)(?::(\d\d))?)?$/.exec(text))) {
      ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] || 0), +(m[5] || 0));
    } else if ((m = /^(\d\d?)(?:\s+(\d\d?)(?::(\d\d))?)?$/.exec(text))) {
      ms = Date.UTC(s.getUTCFullYear(), s.getUTCMonth(), +m[1], +(m[2] || 0), +(m[3] || 0));
      if (ms < BASE.start - 86400000) ms = Date.UTC(s.getUTCFullYear(), s.getUTCMonth() + 1, +m[1], +(m[2] || 0), +(m[3] || 0));
    } else return null;
    var h = (ms - BASE.start) / 3600000;
    return h < 0 || h > BASE.hours ? null : h;
  }
  var HELP = [
    ["Space", "play / pause (at the end: restart)"], ["+ / -", "faster / slower (simulated hours per second)"],
    ["\u2192 / \u2190", "step one hour forward / back"], ["PgUp / PgDn", "one day forward / back"],
    ["Home / End", "start / end"], ["1 \u2026 9", "the start of day 1 \u2026 9 of the scenario"],
    ["j", "jump to a date: e.g. 2022-09-10 14:00, or 10 14, then Enter"],
    ["timeline", "click or drag to scrub; hover over a mark for the record and the run"],
    ["click a unit", "its panel; Esc or a click on the map closes it"],
    ["wheel / drag, pinch", "zoom / pan;  z: reset the view"],
    ["t", "territory and front line"], ["f", "how the front is held: line held, screen, gap"], ["u", "units"], ["r", "roads and railways"], ["l", "town names"],
    ["b", "combat and bridge marks"], ["g", "legend"], ["e", "event ticker"],
    ["v", "with a what-if: over the base, side by side, the base alone"],
    ["h or ?", "this help"], ["Esc", "close the help, the unit panel or the jump box"]
  ];
  $("help").innerHTML = '<div class="box"><h2>Keys and mouse</h2><table>' + HELP.map(function (r) {
    return "<tr><td>" + esc(r[0]) + "</td><td>" + esc(r[1]) + "</td></tr>";
  }).join("") + "</table><p>The window version (python run.py view) also has w: what if, and p: save a PNG.</p></div>";
  function showHelp(on) { state.help = on; $("help").hidden = !on; }
  $("help").addEventListener("click", function () { showHelp(false); });
  function cycleCompare() {
    if (!ALT) return;
    var modes = ["overlay", "split", "base"];
    state.compare = modes[(modes.indexOf(state.compare) + 1) % 3];
    views[0].terrSig = null;
    say({ overlay: "what-if drawn over the base", split: "side by side", base: "the base alone" }[state.compare]);
    requestDraw(true);
  }
  var jump = $("jump"), jumpText = $("jump-text");
  jump.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var h = parseJump(jumpText.value);
    jump.hidden = true;
    if (h === null) say("not a date of this run: " + jumpText.value); else { state.playing = false; setT(h); }
  });
  jumpText.addEventListener("keydown", function (ev) { if (ev.key === "Escape") { jump.hidden = true; ev.stopPropagation(); } });
  document.addEventListener("keydown", function (ev) {
    if (ev.target === jumpText || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    var k = ev.key, done = true;
    if (state.help && k !== "Escape" && k !== "h" && k !== "?") { showHelp(false); }
    if (k === " " || k === "Spacebar") playPause();
    else if (k === "+" || k === "=") { state.speed = Math.min(SPEEDS.length - 1, state.speed + 1); requestDraw(); }
    else if (k === "-" || k === "_") { state.speed = Math.max(0, state.speed - 1); requestDraw(); }
    else if (k === "ArrowRight") { state.playing = false; setT(Math.floor(state.t + 1e-9) + 1); }
    else if (k === "ArrowLeft") { state.playing = false; setT(Math.ceil(state.t - 1e-9) - 1); }
    else if (k === "PageUp") setT(state.t + 24);
    else if (k === "PageDown") setT(state.t - 24);
    else if (k === "Home") setT(0);
    else if (k === "End") setT(BASE.hours);
    else if (/^[1-9]$/.test(k)) {
      var s = new Date(BASE.start), ms = Date.UTC(s.getUTCFullYear(), s.getUTCMonth(), s.getUTCDate() + (+k - 1));
      setT((ms - BASE.start) / 3600000);
    } else if (k === "j") { jump.hidden = false; jumpText.value = ""; jumpText.focus(); }
    else if (k === "t") toggle("territory");
    else if (k === "f") toggle("hold");
    else if (k === "u") toggle("units");
    else if (k === "r") toggle("roads");
    else if (k === "l") toggle("labels");
    else if (k === "b") toggle("battles");
    else if (k === "g") toggle("legend");
    else if (k === "e") toggle("ticker");
    else if (k === "z") resetView();
    else if (k === "v") cycleCompare();
    else if (k === "h" || k === "?") showHelp(!state.help);
    else if (k === "Escape") {
      if (state.help) showHelp(false);
      else if (!jump.hidden) jump.hidden = true;
      else if (state.selected !== null) { state.selected = null; requestDraw(true); }
    } else done = false;
    if (done) {
      ev.preventDefault();
      draw(); // at once (a playing page goes on in its animation frames)
    }
  });
  function button(id, fn) { $(id).addEventListener("click", function (ev) { ev.preventDefault(); fn(); draw(); $(id).blur(); }); }
  button("b-play", playPause);
  button("b-start", function () { setT(0); });
  button("b-back", function () { state.playing = false; setT(Math.ceil(state.t - 1e-9) - 1); });
  button("b-fwd", function () { state.playing = false; setT(Math.floor(state.t + 1e-9) + 1); });
  button("b-slower", function () { state.speed = Math.max(0, state.speed - 1); requestDraw(); });
  button("b-faster", function () { state.speed = Math.min(SPEEDS.length - 1, state.speed + 1); requestDraw(); });
  button("b-help", function () { showHelp(!state.help); });
  button("b-mode", cycleCompare);
  window.addEventListener("resize", function () { tlStatic = null; requestDraw(true); });

  // a what-if opens paused at its hour, as the window does (docs/lessons.md)
  if (WHATIF) state.t = WHATIF.hour;
  // what the page shows, for tests and for anyone scripting the page
  window.replay = {
    state: state,
    hours: BASE.hours,
    hour: hour,
    hourOf: function (iso) { return (parseTime(iso) - BASE.start) / 3600000; },
    setTime: function (t) { state.playing = false; setT(t); draw(); },
    branchHour: WHATIF ? WHATIF.hour : null,
    nodeIds: function () { return MAP.nodes.id.slice(); },
    shownControl: function () { return $("map").dataset.control; },
    /** How each place is held as the map shows it ("" when the bands are not drawn). */
    shownHold: function () { return $("map").dataset.hold || ""; },
    /** The bands drawn: [side, level, [x0, y0, x1, y1, ...] km along the front line]. */
    shownBands: function () {
      return views[0].shownBands.map(function (b) {
        return [b.side, b.level, [].concat.apply([], b.points)];
      });
    },
    /** The middle of each band's first stretch, as drawn (moved off the line), in page px. */
    bandPoints: function () {
      var v = views[0], r = $("map").getBoundingClientRect(), out = [];
      for (var key in v.bands) v.bands[key][1].getLatLngs().forEach(function (line) {
        if (line.length < 2) return;
        var a = v.map.latLngToContainerPoint(line[0]), b = v.map.latLngToContainerPoint(line[1]);
        out.push([key.slice(0, 2), +key.charAt(2), r.left + (a.x + b.x) / 2, r.top + (a.y + b.y) / 2]);
      });
      return out;
    },
    /** Where each unit on the map stands at the hour shown (km), before units sharing a spot
     * are fanned out: the positions the pygame viewer computes (unit_position_km). */
    unitAnchors: function () {
      var out = {}, k = hour();
      for (var u = 0; u < BASE.d.units.length; u++) {
        var row = BASE.unitAt(u, k);
        if (BASE.active(row)) out[BASE.d.units[u].id] = BASE.position(row);
      }
      return out;
    },
    nodePoint: function (id) {
      var i = NODE_INDEX[id], p = views[0].map.latLngToContainerPoint(ll(MAP.nodes.x[i], MAP.nodes.y[i]));
      var r = $("map").getBoundingClientRect();
      return [r.left + p.x, r.top + p.y];
    },
    unitPoints: function () {
      var out = {}, r = $("map").getBoundingClientRect(), m = views[0].markers;
      for (var u in m) {
        var p = views[0].map.latLngToContainerPoint(m[u].marker.getLatLng());
        out[BASE.d.units[u].id] = [r.left + p.x, r.top + p.y];
      }
      return out;
    },
    ready: false
  };
  draw();
  window.replay.ready = true;
  performance.mark("replay-ready");
})();
