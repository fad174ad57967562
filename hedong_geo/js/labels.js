/* hedong-geo offline basemap: the Haihe as water, and labels that never collide.
 *
 * Written for hedong_geo/basemap_layers.py (Leaflet 1.9, nothing else; needs hedong.js's
 * HedongGeo.map). Every label is a marker that takes no clicks. A label is a candidate from its
 * class's min_zoom (or its own) up to its class's max_zoom; after every zoom, move, resize and
 * layer toggle, the candidates in view are tried in priority order (lower first: district
 * names, 街道, metro, major places, others; within one priority, in the order given) and a label
 * is shown only if its box overlaps no label already shown. A label's size is read once, with the
 * sizes of the others in one batch (again when web fonts arrive), so a layout is arithmetic plus
 * one change per label shown or hidden. A label not shown is not on the map at all (its marker
 * is in its group, off the map): the browser restyles and Leaflet moves only the labels shown
 * at a zoom, not the hundreds hidden.
 *
 *   HedongLabels.basemap(group, data, opts)  water (data.water) and labels (data.labels:
 *                                            [lon, lat, text, class, dot, min_zoom]) into group
 *   HedongLabels.add(group, fc, cls)          points with properties.n as labels of class cls
 *   HedongLabels.layout()                     lay the labels out now (tests; normally automatic)
 *   HedongLabels.shown()                      the labels shown now: [{text, cls}]
 *   HedongLabels.labels()                     every label: [{text, cls, shown}]
 */
(function () {
  "use strict";

  var HL = (window.HedongLabels = window.HedongLabels || {});
  var entries = []; // every label: {marker, group, el, latlng, p, seq, zmin, zmax, dot, w, h, shown}
  var classes = {}; // label class -> {priority, min_zoom, max_zoom, color, size}
  var dots = {}; // dot key -> colour
  var map = null;
  var pending = false;
  var laying = false; // a layout is putting labels on the map or taking them off
  var sorted = true;
  var GAP = 3; // px kept free around every label
  var DOT = 8; // px: a place's dot, its centre at the place

  var PANES = [
    ["hdBaseWater", 355], // over the district fills, under the 街道 and every plan layer
    ["hdBaseLabels", 404], // under the plan layers (hdAreas 410 …), over the 街道 zones
  ];

  function attach() {
    if (map) return map;
    map = window.HedongGeo && window.HedongGeo.map;
    if (!map) throw new Error("HedongLabels: HedongGeo.setup has not run");
    PANES.forEach(function (p) {
      if (!map.getPane(p[0])) map.createPane(p[0]).style.zIndex = p[1];
    });
    map.getPane("hdBaseLabels").style.pointerEvents = "none";
    // After a zoom, once the map's canvases are drawn again, each in a frame of its own
    // (js/hedong.js, HedongGeo.zoomFrames): the labels' changes in one of those frames would
    // make it the longest of the zoom.
    map.on("zoomend", function () {
      schedule(window.HedongGeo.zoomFrames + 1);
    });
    map.on("moveend resize overlayadd overlayremove", function () {
      schedule(0);
    });
    // A label put on the map (its group added); not any other layer: a selection, a popup or a
    // tooltip added by a click would lay every label out before the click's frame.
    map.on("layeradd", function (e) {
      if (e.layer._hdLabel && !laying) schedule(0);
    });
    if (document.fonts && document.fonts.addEventListener) {
      document.fonts.addEventListener("loadingdone", function () {
        entries.forEach(function (e) {
          e.w = 0; // label widths change: measure again
        });
        schedule(0);
      });
    }
    return map;
  }

  // Lay the labels out before the next frame, or before the frame after `frames` more.
  function schedule(frames) {
    if (pending) return;
    pending = true;
    var lay = function () {
      L.Util.requestAnimFrame(function () {
        pending = false;
        HL.layout();
      });
    };
    if (frames) window.HedongGeo.afterFrames(frames, lay);
    else lay();
  }

  function labelElement(text, cls, dot) {
    var style = classes[cls] || {};
    var span = document.createElement("span");
    span.className = "hd-bm-label hd-bm-" + cls + (dot ? " hd-bm-dotted" : "");
    if (!/[\u4e00-\u9fff]/.test(text)) span.className += " hd-bm-latin"; // spaced less
    span.setAttribute("data-cls", cls);
    if (style.color) span.style.color = style.color;
    if (style.size) span.style.fontSize = style.size + "px";
    if (dot) {
      var i = document.createElement("i");
      i.className = dot === "metro" ? "hd-bm-dot hd-bm-station" : "hd-bm-dot";
      if (dot !== "metro") i.style.background = dots[dot] || "#999";
      span.appendChild(i);
    }
    span.appendChild(document.createTextNode(text));
    span.style.visibility = "hidden";
    span.style.display = "none"; // until measured: see measure()
    return span;
  }

  function addLabel(target, lon, lat, text, cls, dot, zmin) {
    var style = classes[cls] || {};
    var el = labelElement(text, cls, dot);
    var latlng = L.latLng(lat, lon);
    var icon = L.divIcon({ className: "hd-bm-anchor", html: el, iconSize: null });
    var marker = L.marker(latlng, { icon: icon, interactive: false, keyboard: false, pane: "hdBaseLabels" });
    marker._hdLabel = true;
    entries.push({
      marker: marker,
      group: target,
      el: el,
      latlng: latlng,
      p: style.priority === undefined ? 9 : style.priority,
      seq: entries.length,
      zmin: zmin === null || zmin === undefined ? style.min_zoom || 0 : zmin,
      zmax: style.max_zoom === undefined ? 99 : style.max_zoom,
      dot: !!dot,
      w: 0,
      h: 0,
      shown: false,
    });
    sorted = false;
    marker.addTo(target);
  }

  HL.basemap = function (group, data, opts) {
    attach();
    classes = opts.labels || classes;
    dots = opts.places || dots;
    var water = opts.water;
    var fill = opts.online ? water.fill_opacity_online : water.fill_opacity;
    L.geoJSON(data.water, {
      pane: "hdBaseWater",
      renderer: window.HedongGeo.renderer && window.HedongGeo.renderer("hdBaseWater"),
      interactive: false,
      style: { color: water.color, weight: water.weight, fillColor: water.fill_color, fillOpacity: fill },
    }).addTo(group);
    // The context layer's centreline (the river's proxy) becomes the water's minimum width:
    // at low zoom, where the band is thinner than a few pixels, the river still reads as water.
    group.eachLayer(function (layer) {
      if (layer.feature && layer.feature.properties.k === "ctx|river" && layer.setStyle) {
        layer.setStyle({ color: water.fill_color, weight: water.centreline_weight, opacity: 1, dashArray: null });
      }
    });
    // ODbL: the credit is shown while the group (with its OpenStreetMap places) is on the map.
    group.options.attribution = escapeHtml(opts.attribution);
    data.labels.forEach(function (r) {
      addLabel(group, r[0], r[1], r[2], r[3], r[4], r[5]);
    });
    schedule(0);
    return group;
  };

  HL.add = function (group, fc, cls) {
    attach();
    fc.features.forEach(function (f) {
      var c = f.geometry.coordinates;
      addLabel(group, c[0], c[1], f.properties.n, cls, "", null);
    });
    schedule(0);
    return group;
  };

  function escapeHtml(text) {
    var div = document.createElement("div");
    div.textContent = text;
    return div.innerHTML;
  }

  function measure(list) {
    // The labels not measured yet are put on the map, displayed but still invisible, all at
    // once, then read (one browser layout for all), before any other write of this layout.
    var todo = list.filter(function (e) {
      return !e.w;
    });
    todo.forEach(function (e) {
      if (!e.marker._map) map.addLayer(e.marker);
      e.el.style.display = "";
    });
    todo.forEach(function (e) {
      e.w = e.el.offsetWidth;
      e.h = e.el.offsetHeight;
    });
  }

  function box(e, pt) {
    var left = e.dot ? pt.x - DOT / 2 : pt.x - e.w / 2;
    var top = pt.y - e.h / 2;
    return [left - GAP, top - GAP, left + e.w + GAP, top + e.h + GAP];
  }

  function hits(a, boxes) {
    for (var i = 0; i < boxes.length; i++) {
      var b = boxes[i];
      if (a[0] < b[2] && a[2] > b[0] && a[1] < b[3] && a[3] > b[1]) return true;
    }
    return false;
  }

  HL.layout = function () {
    if (!map || !map._loaded) return;
    if (!sorted) {
      entries.sort(function (a, b) {
        return a.p - b.p || a.seq - b.seq;
      });
      sorted = true;
    }
    var zoom = map.getZoom();
    var size = map.getSize();
    // Every label of the groups on the map is measured at their first layout (one browser
    // layout), not at the first zoom it is a candidate at: a zoom's frame then reads nothing.
    var onMap = entries.filter(function (e) {
      return e.group._map;
    });
    var candidates = onMap.filter(function (e) {
      return zoom >= e.zmin && zoom < e.zmax;
    });
    laying = true;
    measure(onMap);
    var placed = [];
    var show = new Set();
    candidates.forEach(function (e) {
      var b = box(e, map.latLngToContainerPoint(e.latlng));
      // Whole labels only: one cut by the map's edge is not shown.
      if (b[0] < 0 || b[1] < 0 || b[2] > size.x || b[3] > size.y) return;
      if (hits(b, placed)) return;
      placed.push(b);
      show.add(e);
    });
    entries.forEach(function (e) {
      var on = show.has(e);
      // Hidden, the label stays invisible if its group puts it back on the map (a layer
      // toggle) until the next layout takes it off again.
      if (e.el.style.visibility !== (on ? "visible" : "hidden")) {
        e.el.style.visibility = on ? "visible" : "hidden";
      }
      if (e.el.style.display !== (on ? "" : "none")) e.el.style.display = on ? "" : "none";
      if (on && !e.marker._map) map.addLayer(e.marker);
      if (!on && e.marker._map) map.removeLayer(e.marker);
      e.shown = on;
    });
    laying = false;
    return placed.length;
  };

  HL.labels = function () {
    return entries.map(function (e) {
      return { text: e.el.textContent, cls: e.el.getAttribute("data-cls"), shown: !!(e.shown && e.marker._icon) };
    });
  };

  HL.shown = function () {
    return entries
      .filter(function (e) {
        return e.shown && e.marker._icon;
      })
      .map(function (e) {
        return { text: e.el.textContent, cls: e.el.getAttribute("data-cls") };
      });
  };
})();
