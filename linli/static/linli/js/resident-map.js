/* The resident map: Leaflet with its canvas renderer. Base layer: a tile server when one is
   configured, else the district's own street network (GeoJSON built by
   linli/places/network_layer.py). Tapping a station shows its name and a link below the map,
   never a pop-up. Markers follow the search results (#map-points, replaced by htmx). */
(function () {
  "use strict";

  // Palette of the usual Chinese web maps: pale ground, white streets, warm yellow arterials.
  var ROADS = {
    a: { color: "#ffe39a", weight: 7, casing: "#e2b24a" },
    b: { color: "#fff4cf", weight: 5, casing: "#dcc48a" },
    c: { color: "#ffffff", weight: 2.5, casing: "#d6cfc2" },
    f: { color: "#c9bfb0", weight: 1.2, dashArray: "3 3" }
  };
  var MINOR_ZOOM = 15;  // local streets and footpaths appear from here; labels too

  function readJSON(id) {
    var el = document.getElementById(id);
    if (!el) { return null; }
    try { return JSON.parse(el.textContent); } catch (e) { return null; }
  }

  function elderly() { return document.documentElement.classList.contains("elderly"); }

  function roadLayer(features, renderer, casing) {
    return L.geoJSON({ type: "FeatureCollection", features: features }, {
      renderer: renderer, interactive: false,
      style: function (f) {
        var s = ROADS[f.properties.k] || ROADS.c;
        if (casing) {
          return { color: s.casing, weight: s.weight + 2, opacity: 1, lineCap: "round", lineJoin: "round" };
        }
        return { color: s.color, weight: s.weight, opacity: 1, dashArray: s.dashArray || null,
                 lineCap: "round", lineJoin: "round" };
      }
    });
  }

  function drawNetwork(map, url) {
    var pane = map.createPane("roads");
    pane.style.zIndex = 350;  // under the station markers (overlayPane, 400)
    // The street names are for the eye: a screen reader would read out a hundred of them
    // before the stations (the page lists the stations, with their addresses, in words).
    pane.setAttribute("aria-hidden", "true");
    var renderer = L.canvas({ pane: "roads", padding: 0.5 });
    fetch(url, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) { throw new Error(r.status); }
      return r.json();
    }).then(function (data) {
      function of(classes) {
        return data.features.filter(function (f) { return classes.indexOf(f.properties.k) >= 0; });
      }
      var minor = L.layerGroup([
        roadLayer(of(["c"]), renderer, true), roadLayer(of(["f", "c"]), renderer, false)
      ]);
      var major = L.layerGroup([
        roadLayer(of(["b", "a"]), renderer, true), roadLayer(of(["b", "a"]), renderer, false)
      ]);
      var labels = L.layerGroup();
      data.features.forEach(function (f) {
        if (f.properties.k !== "label") { return; }
        var c = f.geometry.coordinates;
        labels.addLayer(L.marker([c[1], c[0]], {
          interactive: false, keyboard: false, pane: "roads",
          icon: L.divIcon({ className: "r-road-label", html: "", iconSize: null })
        }).on("add", function (e) { e.target.getElement().textContent = f.properties.n; }));
      });
      function byZoom() {
        var near = map.getZoom() >= MINOR_ZOOM;
        if (near) { minor.addTo(map); labels.addTo(map); } else { minor.remove(); labels.remove(); }
        major.remove(); major.addTo(map);  // keep arterials above local streets
      }
      map.on("zoomend", byZoom);
      byZoom();
    }).catch(function () { /* the markers still work without the streets */ });
  }

  function stationUrl(id) { return "/stations/" + id + "/"; }

  function init(el) {
    var cfg = readJSON(el.dataset.config);
    if (!cfg || typeof L === "undefined") { return; }
    var renderer = L.canvas({ padding: 0.5, tolerance: elderly() ? 12 : 6 });
    var map = L.map(el, {
      preferCanvas: true, renderer: renderer, scrollWheelZoom: false, zoomSnap: 0.5,
      attributionControl: true, maxZoom: 19
    });
    if (el.dataset.label) { el.setAttribute("aria-label", el.dataset.label); }
    map.attributionControl.setPrefix("");
    if (cfg.tiles) {
      L.tileLayer(cfg.tiles, { attribution: cfg.attribution || "", maxZoom: 19 }).addTo(map);
    } else if (cfg.network) {
      drawNetwork(map, cfg.network);
    }
    var markers = L.layerGroup().addTo(map);
    var info = document.getElementById("map-info");

    function showInfo(p) {
      if (!info) { window.location.href = stationUrl(p.id); return; }
      info.textContent = "";
      var text = document.createElement("p");
      var strong = document.createElement("strong");
      strong.textContent = p.n;
      text.appendChild(strong);
      text.appendChild(document.createTextNode(" · " + p.k));
      var link = document.createElement("a");
      link.className = "btn btn-primary";
      link.href = stationUrl(p.id);
      link.textContent = el.dataset.openLabel || info.dataset.openLabel || "›";
      info.appendChild(text);
      info.appendChild(link);
    }

    function draw(points, fit) {
      markers.clearLayers();
      var r = elderly() ? 12 : 9;
      (points || []).forEach(function (p) {
        var isStation = p.g === "station";
        var m = L.circleMarker([p.lat, p.lon], {
          renderer: renderer, radius: isStation ? r : r - 3, weight: 3, color: "#ffffff",
          fillColor: p.o === "open" ? "#0b6e4f" : (isStation ? "#b4232a" : "#57606a"), fillOpacity: 1
        });
        m.on("click", function () { showInfo(p); });
        markers.addLayer(m);
      });
      if (!fit) { return; }
      if (points && points.length > 1) {
        map.fitBounds(L.latLngBounds(points.map(function (p) { return [p.lat, p.lon]; })),
                      { padding: [24, 24], maxZoom: 16 });
      } else if (points && points.length === 1) {
        map.setView([points[0].lat, points[0].lon], cfg.zoom || 16);
      } else if (cfg.bounds) {
        map.fitBounds([[cfg.bounds[0], cfg.bounds[1]], [cfg.bounds[2], cfg.bounds[3]]]);
      } else {
        map.setView(cfg.centre, 14);
      }
    }

    draw(cfg.points || readJSON("map-points"), true);
    document.body.addEventListener("htmx:afterSwap", function (e) {
      if (e.detail && e.detail.target && e.detail.target.id === "results") {
        if (info) { info.textContent = ""; }
        draw(readJSON("map-points"), true);
      }
    });
    el.linliMap = map;
  }

  function start() {
    var el = document.getElementById("map");
    if (el) { init(el); }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
