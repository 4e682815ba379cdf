"""A self-contained ``map.html`` a planner can open offline.

Everything — data, drawing code, styles — is inline; the page loads nothing from the network
(no CDN, no tiles).  A canvas draws the walking network, compounds coloured by walking
minutes to the category chosen in a selector, the facilities, station isochrones and the
gap list of that category.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .access import AccessResult
from .gaps import Gap
from .graph import EARTH_RADIUS_M, WalkGraph
from .io import Compounds, Facilities

__all__ = ["render_map", "write_map"]


def _project(graph: WalkGraph) -> tuple[float, float, float, float]:
    lon0, lat0 = graph.origin
    kx = EARTH_RADIUS_M * math.cos(math.radians(lat0)) * math.pi / 180.0
    ky = EARTH_RADIUS_M * math.pi / 180.0
    return lon0, lat0, kx, ky


def _rings(geometry: dict[str, Any]) -> list[list[list[list[float]]]]:
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    if geometry["type"] == "MultiPolygon":
        return list(geometry["coordinates"])
    return []


def render_map(
    graph: WalkGraph,
    compounds: Compounds,
    facilities: Facilities,
    access: AccessResult,
    *,
    gaps: Sequence[Gap] = (),
    isochrones: dict[str, Any] | None = None,
    category_names: dict[str, str] | None = None,
    title: str = "十分钟生活圈 — living circle",
) -> str:
    """Render the offline map page.

    Parameters
    ----------
    graph
        The pedestrian graph (drawn as the base map).
    compounds, facilities
        The inputs.
    access
        Distances per compound and category (colours the compounds).
    gaps
        Gaps to list under the map.
    isochrones
        A FeatureCollection from :func:`~linli.circle.isochrones.isochrone_features`.
    category_names
        Category code → display name.
    title
        Page title.

    Returns
    -------
    str
        The HTML document.
    """
    lon0, lat0, kx, ky = _project(graph)

    def xy(lon: Any, lat: Any) -> tuple[Any, Any]:
        return np.round((np.asarray(lon) - lon0) * kx, 1), np.round(
            (np.asarray(lat) - lat0) * ky, 1
        )

    gx, gy = xy(graph.geom_lon, graph.geom_lat)
    coords = np.column_stack([gx, gy]).ravel()
    # Flat coordinates plus CSR offsets keep the page small and the drawing loop simple.
    network = {"xy": coords.tolist(), "off": (graph.geom_offsets * 2).tolist()}
    # Each compound is drawn at its first gate.
    first_gate = np.full(compounds.n, -1, dtype=np.int64)
    first_gate[compounds.gate_compound[::-1]] = np.arange(compounds.gate_compound.shape[0])[::-1]
    cx, cy = xy(compounds.gate_lon[first_gate], compounds.gate_lat[first_gate])
    minutes = access.minutes
    comp = {
        "id": compounds.ids,
        "name": compounds.names,
        "pop": compounds.population.tolist(),
        "x": cx.tolist(),
        "y": cy.tolist(),
        "min": [
            [None if not math.isfinite(m) else round(float(m), 2) for m in minutes[:, k]]
            for k in range(len(access.categories))
        ],
    }
    fx, fy = xy(facilities.lon, facilities.lat)
    fac = {
        "id": facilities.ids,
        "name": facilities.names,
        "cat": facilities.category,
        "x": fx.tolist(),
        "y": fy.tolist(),
    }
    iso = []
    for f in (isochrones or {}).get("features", []):
        rings = []
        for poly in _rings(f["geometry"]):
            for ring in poly:
                arr = np.asarray(ring, dtype=np.float64)
                rx, ry = xy(arr[:, 0], arr[:, 1])
                rings.append(np.column_stack([rx, ry]).ravel().tolist())
        p = f["properties"]
        iso.append(
            {
                "cat": p.get("category", ""),
                "id": p.get("station_id", ""),
                "minutes": p.get("minutes", 0),
                "rings": rings,
            }
        )
    names = category_names or {}
    cats = [{"code": c, "name": names.get(c, c)} for c in access.categories]
    gap_rows = [
        {
            "cat": g.category,
            "std": g.standard,
            "level": g.level,
            "id": g.compound_id,
            "name": g.compound_name,
            "limit": g.max_distance_m,
            "m": None if not g.reachable else round(g.meters, 1),
            "short": None if not g.reachable else round(g.shortfall_m, 1),
            "pop": g.population,
        }
        for g in gaps
    ]
    data = {
        "network": network,
        "compounds": comp,
        "facilities": fac,
        "isochrones": iso,
        "categories": cats,
        "gaps": gap_rows,
        "speed": access.speed_m_s,
    }
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    # "</" inside a script element would end it early.
    payload = payload.replace("</", "<\\/")
    return _TEMPLATE.replace("__TITLE__", html.escape(title)).replace("__DATA__", payload)


def write_map(path: str | Path, page: str) -> Path:
    """Write the page produced by :func:`render_map`.

    Parameters
    ----------
    path
        Output file, usually ``map.html``.
    page
        The HTML.

    Returns
    -------
    pathlib.Path
    """
    p = Path(path)
    p.write_text(page, encoding="utf-8")
    return p


_TEMPLATE = """<!DOCTYPE html>
<html lang="zh-Hans"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>__TITLE__</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#222}
header{padding:.5rem 1rem;background:#f4f4f4;display:flex;gap:1rem;align-items:center;
flex-wrap:wrap}
h1{font-size:1.1rem;margin:0}
#wrap{position:relative}
canvas{display:block;width:100%;height:70vh;background:#fff;cursor:grab}
.legend span{display:inline-block;width:.9em;height:.9em;margin:0 .25em 0 .6em;
vertical-align:middle}
table{border-collapse:collapse;margin:1rem;font-size:13px}
td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left}
th{background:#eee}
#tip{position:absolute;pointer-events:none;background:#fffd;border:1px solid #999;padding:2px 6px;
font-size:12px;display:none}
</style></head><body>
<header><h1>__TITLE__</h1>
<label>设施类别 Category <select id="cat"></select></label>
<label><input type="checkbox" id="iso" checked> 等时圈 isochrones</label>
<span class="legend" id="legend"></span></header>
<div id="wrap"><canvas id="map"></canvas><div id="tip"></div></div>
<h2 style="margin:0 1rem;font-size:1rem">缺口 Gaps (<span id="ngaps">0</span>)</h2>
<table id="gaps"><thead><tr><th>标准 Standard</th><th>层级 Level</th><th>小区 Compound</th>
<th>人口 Population</th><th>限值 Limit (m)</th><th>距离 Distance (m)</th>
<th>超出 Shortfall (m)</th></tr></thead><tbody></tbody></table>
<script>
const D = __DATA__;
const C = document.getElementById('map'), X = C.getContext('2d');
const sel = document.getElementById('cat'), isoBox = document.getElementById('iso');
const BANDS = [[5,'#1a9850','≤5 min'],[10,'#a6d96a','≤10 min'],[15,'#fdae61','≤15 min'],
  [Infinity,'#d73027','>15 min']];
const GREY = '#999';
D.categories.forEach((c, i) => { const o = document.createElement('option');
  o.value = i; o.textContent = c.name + ' (' + c.code + ')'; sel.appendChild(o); });
document.getElementById('legend').innerHTML = BANDS.map(b =>
  '<span style="background:' + b[1] + '"></span>' + b[2]).join('') +
  '<span style="background:' + GREY + '"></span>unreachable';
let minX=Infinity,minY=Infinity,maxX=-Infinity,maxY=-Infinity;
const P = D.network.xy;
for (let i = 0; i < P.length; i += 2) { minX=Math.min(minX,P[i]); maxX=Math.max(maxX,P[i]);
  minY=Math.min(minY,P[i+1]); maxY=Math.max(maxY,P[i+1]); }
let scale = 1, ox = 0, oy = 0;
function fit() { const w = C.clientWidth, h = C.clientHeight; C.width = w * devicePixelRatio;
  C.height = h * devicePixelRatio;
  scale = 0.95 * Math.min(w / (maxX - minX || 1), h / (maxY - minY || 1));
  ox = w / 2 - scale * (minX + maxX) / 2; oy = h / 2 + scale * (minY + maxY) / 2; }
const sx = x => ox + scale * x, sy = y => oy - scale * y;
function colour(m) { if (m === null) return GREY;
  for (const b of BANDS) if (m <= b[0]) return b[1]; }
function draw() {
  const k = +sel.value, code = D.categories[k] ? D.categories[k].code : '';
  X.setTransform(devicePixelRatio, 0, 0, devicePixelRatio, 0, 0);
  X.clearRect(0, 0, C.width, C.height);
  if (isoBox.checked) { for (const f of D.isochrones) { if (f.cat !== code) continue;
      X.fillStyle = f.minutes <= 5 ? '#2c7bb633' : f.minutes <= 10 ? '#2c7bb622' : '#2c7bb614';
      X.beginPath(); for (const r of f.rings) { X.moveTo(sx(r[0]), sy(r[1]));
        for (let i = 2; i < r.length; i += 2) X.lineTo(sx(r[i]), sy(r[i+1])); X.closePath(); }
      X.fill('evenodd'); } }
  X.strokeStyle = '#bbb'; X.lineWidth = 1; X.beginPath(); const O = D.network.off;
  for (let e = 0; e + 1 < O.length; e++) { X.moveTo(sx(P[O[e]]), sy(P[O[e]+1]));
    for (let i = O[e] + 2; i < O[e+1]; i += 2) X.lineTo(sx(P[i]), sy(P[i+1])); }
  X.stroke();
  const c = D.compounds, mins = c.min[k] || [];
  for (let i = 0; i < c.id.length; i++) { X.fillStyle = colour(mins[i] ?? null);
    const r = Math.max(3, Math.min(9, Math.sqrt(c.pop[i]) / 8)); X.beginPath();
    X.arc(sx(c.x[i]), sy(c.y[i]), r, 0, 7); X.fill(); }
  const f = D.facilities;
  for (let i = 0; i < f.id.length; i++) { const on = f.cat[i] === code;
    X.fillStyle = on ? '#08306b' : '#0002'; const s = on ? 7 : 4;
    X.fillRect(sx(f.x[i]) - s / 2, sy(f.y[i]) - s / 2, s, s); }
  const body = document.querySelector('#gaps tbody'); body.textContent = '';
  const rows = D.gaps.filter(g => g.cat === code);
  document.getElementById('ngaps').textContent = rows.length;
  for (const g of rows.slice(0, 2000)) { const tr = document.createElement('tr');
    for (const v of [g.std, g.level, g.name + ' (' + g.id + ')', g.pop, g.limit,
      g.m ?? '—', g.short ?? 'unreachable']) { const td = document.createElement('td');
      td.textContent = v; tr.appendChild(td); } body.appendChild(tr); }
}
let drag = null;
C.addEventListener('mousedown', e => { drag = [e.clientX, e.clientY]; });
window.addEventListener('mouseup', () => { drag = null; });
C.addEventListener('mousemove', e => { const tip = document.getElementById('tip');
  if (drag) { ox += e.clientX - drag[0]; oy += e.clientY - drag[1]; drag = [e.clientX, e.clientY];
    draw(); return; }
  const b = C.getBoundingClientRect(), mx = e.clientX - b.left, my = e.clientY - b.top;
  const c = D.compounds, mins = c.min[+sel.value] || []; let best = -1, bd = 100;
  for (let i = 0; i < c.id.length; i++) { const d = Math.hypot(sx(c.x[i]) - mx, sy(c.y[i]) - my);
    if (d < bd) { bd = d; best = i; } }
  if (best >= 0) { tip.style.display = 'block'; tip.style.left = (mx + 12) + 'px';
    tip.style.top = (my + 12) + 'px'; const m = mins[best];
    tip.textContent = c.name[best] + ' · ' + c.pop[best] + ' 人 · ' +
      (m === null || m === undefined ? 'unreachable' : m.toFixed(1) + ' min'); }
  else tip.style.display = 'none'; });
C.addEventListener('wheel', e => { e.preventDefault(); const b = C.getBoundingClientRect();
  const mx = e.clientX - b.left, my = e.clientY - b.top, f = e.deltaY < 0 ? 1.2 : 1 / 1.2;
  ox = mx - f * (mx - ox); oy = my - f * (my - oy); scale *= f; draw(); }, {passive: false});
sel.addEventListener('change', draw); isoBox.addEventListener('change', draw);
window.addEventListener('resize', () => { fit(); draw(); });
fit(); draw();
</script></body></html>
"""
