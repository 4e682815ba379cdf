/* Planning run page (linli/planning/templates/planning/run.html): the walking-time map and the
   coverage chart. Data comes from json_script blocks and the run's map-data.json; labels from
   #pl-i18n so that every word is translated on the server. Colours are Okabe–Ito (safe for the
   common colour-vision deficiencies) and match the legend and the chart. */
(function () {
  "use strict";

  var COLOURS = { "5": "#0072B2", "10": "#56B4E9", "15": "#E69F00", over: "#D55E00", none: "#999999" };
  var ISO_COLOURS = { 5: "#0072B2", 10: "#56B4E9", 15: "#E69F00" };

  function readJSON(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function minuteClass(minutes) {
    if (minutes === null || minutes === undefined) return "none";
    if (minutes <= 5) return "5";
    if (minutes <= 10) return "10";
    if (minutes <= 15) return "15";
    return "over";
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function initMap() {
    var el = document.getElementById("pl-map");
    var config = readJSON("pl-map-config");
    if (!el || !config || typeof L === "undefined") return;
    var t = document.getElementById("pl-i18n").dataset;
    var names = readJSON("pl-category-names") || {};
    var select = document.getElementById("pl-category");
    var map = L.map(el, { preferCanvas: true, zoomSnap: 0.25 });
    map.setView([config.centre[1], config.centre[0]], 14);
    if (config.tiles) {
      L.tileLayer(config.tiles, { attribution: config.attribution || "", maxZoom: 19 }).addTo(map);
    }
    // Streets stay underneath the compounds: their own pane below Leaflet's overlay pane.
    map.createPane("streets").style.zIndex = 350;
    map.createPane("isochrones").style.zIndex = 380;
    var streetLayer = L.layerGroup().addTo(map);
    if (config.network) {
      fetch(config.network, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) return;
          var weights = { a: 4, b: 3, c: 1.6, f: 1 };
          L.geoJSON(data, {
            interactive: false, pane: "streets",
            filter: function (f) { return f.properties.k !== "label"; },
            style: function (f) {
              var k = f.properties.k;
              return { color: k === "f" ? "#a7a7a7" : "#bdbdbd", weight: weights[k] || 1, opacity: 0.9,
                       dashArray: k === "f" ? "2 3" : null };
            }
          }).addTo(streetLayer);
        })
        .catch(function () { /* the map works without the street layer */ });
    }

    var compoundLayer = L.featureGroup().addTo(map);
    var facilityLayer = L.layerGroup().addTo(map);
    var isoLayer = L.layerGroup();
    var siteLayer = L.layerGroup().addTo(map);
    var shapes = [];
    var stations = [];
    var isoData = null;

    function popupFor(c, category) {
      var a = c.access[category];
      var line;
      if (!a || a[0] === null) {
        line = escapeHtml(t.none);
      } else {
        line = a[0] + " " + escapeHtml(t.minutes) + " (" + a[1] + " m)";
        if (a[2]) line += "<br>" + escapeHtml(t.nearest) + ": " + escapeHtml(a[2]);
      }
      return "<strong>" + escapeHtml(c.name) + "</strong><br>" + escapeHtml(c.community) +
        " · " + c.population + " " + escapeHtml(t.people) + "<br>" +
        escapeHtml(names[category] || category) + ": " + line;
    }

    function styleFor(c, category) {
      var a = c.access[category];
      var cls = minuteClass(a ? a[0] : null);
      var colour = COLOURS[cls];
      return {
        color: cls === "none" ? "#444" : "#1f2328", weight: 1, fillColor: colour,
        fillOpacity: cls === "none" ? 0.35 : 0.85, dashArray: cls === "none" ? "3 3" : null
      };
    }

    function draw(payload) {
      stations = payload.stations;
      payload.compounds.forEach(function (c) {
        var shape;
        if (c.outline && c.outline.type === "Polygon") {
          var rings = c.outline.coordinates.map(function (ring) {
            return ring.map(function (p) { return [p[1], p[0]]; });
          });
          shape = L.polygon(rings);
        } else {
          shape = L.circleMarker([c.gates[0][1], c.gates[0][0]], { radius: 8 });
        }
        shape.addTo(compoundLayer);
        shapes.push({ compound: c, shape: shape });
      });
      restyle();
      if (shapes.length) map.fitBounds(compoundLayer.getBounds(), { padding: [20, 20] });
      var note = document.getElementById("pl-map-note");
      if (note) note.textContent = shapes.length + " " + t.shown;
    }

    function restyle() {
      var category = select.value;
      shapes.forEach(function (item) {
        item.shape.setStyle(styleFor(item.compound, category));
        item.shape.bindPopup(popupFor(item.compound, category));
        item.shape.bindTooltip(escapeHtml(item.compound.name), { sticky: true });
      });
      facilityLayer.clearLayers();
      if (document.getElementById("pl-facilities").checked) {
        stations.forEach(function (s) {
          if (s.category !== category) return;
          L.circleMarker([s.lat, s.lon], {
            radius: 6, color: "#000", weight: 2, fillColor: "#fff", fillOpacity: 1
          }).bindTooltip(escapeHtml(s.name)).addTo(facilityLayer);
        });
      }
      drawIsochrones();
      showSites();
    }

    // The proposed sites belong to the category they were sited for: shown on that category's
    // walking times only, with a note naming it when another category is chosen.
    function showSites() {
      var sitesBox = document.getElementById("pl-sites");
      var note = document.getElementById("pl-sites-note");
      var own = !config.siting_category || select.value === config.siting_category;
      if (note) note.hidden = own;
      if (own && (!sitesBox || sitesBox.checked)) siteLayer.addTo(map); else map.removeLayer(siteLayer);
    }

    function drawIsochrones() {
      isoLayer.clearLayers();
      var isoNote = document.getElementById("pl-iso-note");
      if (isoNote && !document.getElementById("pl-iso").checked) isoNote.hidden = true;
      if (!document.getElementById("pl-iso").checked || !isoData) return;
      var category = select.value;
      var features = isoData.features.filter(function (f) { return f.properties.category === category; });
      // Never another category's areas in place of the chosen one's: say they are not drawn.
      var isoNote = document.getElementById("pl-iso-note");
      if (isoNote) isoNote.hidden = features.length > 0;
      features.sort(function (a, b) { return b.properties.minutes - a.properties.minutes; });
      L.geoJSON({ type: "FeatureCollection", features: features }, {
        interactive: false, pane: "isochrones",
        style: function (f) {
          return { color: ISO_COLOURS[f.properties.minutes] || "#555", weight: 1, fillOpacity: 0.12 };
        }
      }).addTo(isoLayer);
    }

    document.getElementById("pl-iso").addEventListener("change", function () {
      if (this.checked && !map.hasLayer(isoLayer)) isoLayer.addTo(map);
      if (this.checked && !isoData) {
        fetch(config.isochrones, { credentials: "same-origin" })
          .then(function (r) { return r.json(); })
          .then(function (data) { isoData = data; drawIsochrones(); });
      } else {
        drawIsochrones();
      }
    });
    document.getElementById("pl-facilities").addEventListener("change", restyle);
    select.addEventListener("change", restyle);

    var sitedFor = names[config.siting_category] || config.siting_category || "";
    (config.sites || []).forEach(function (s) {
      var icon = L.divIcon({ className: "pl-map-label", html: String(s.rank) });
      var title = t.site + " " + s.rank + (sitedFor ? " · " + sitedFor : "") + (s.name ? " " + s.name : "");
      L.marker([s.lat, s.lon], { icon: icon, title: title, keyboard: true })
        .bindPopup("<strong>" + escapeHtml(t.site) + " " + s.rank + "</strong>" +
          (sitedFor ? " · " + escapeHtml(sitedFor) : "") +
          (s.name ? "<br>" + escapeHtml(s.name) : "") + "<br>" +
          escapeHtml(t.newly) + " " + s.population + " " + escapeHtml(t.people))
        .addTo(siteLayer);
    });
    var sitesBox = document.getElementById("pl-sites");
    if (sitesBox) {
      sitesBox.addEventListener("change", showSites);
    }

    fetch(config.data, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(draw);
  }

  function initChart() {
    var el = document.getElementById("pl-chart");
    var data = readJSON("pl-chart-data");
    if (!el || !data || typeof echarts === "undefined") return;
    var t = document.getElementById("pl-i18n").dataset;
    var cats = data.categories.slice().reverse();
    function series(key, name, colour) {
      return {
        name: name, type: "bar", data: data.series[key].slice().reverse(), barGap: "-100%",
        barCategoryGap: "35%", itemStyle: { color: colour }
      };
    }
    var chart = echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      grid: { left: 8, right: 24, top: 36, bottom: 24, containLabel: true },
      legend: { top: 0, data: [t.min5, t.min10, t.min15] },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: function (v) { return v + "%"; } },
      xAxis: { type: "value", max: 100, name: t.share, nameLocation: "middle", nameGap: 24, axisLabel: { formatter: "{value}%" } },
      yAxis: { type: "category", data: cats, axisLabel: { fontSize: 12 } },
      series: [
        series("15min", t.min15, "#E69F00"),
        series("10min", t.min10, "#56B4E9"),
        series("5min", t.min5, "#0072B2")
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function init() { initMap(); initChart(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
