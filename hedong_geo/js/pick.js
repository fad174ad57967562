/* hedong-geo: every feature under the pointer can be chosen (loaded after hedong.js).
 *
 * A click on the map is tested against every clickable feature shown (HedongGeo.entries):
 * a point whose marker lies within a few pixels, a line within a few pixels, an area that
 * contains the click, a zone drawn as its outline (properties.z, the 街道) anywhere inside it.
 * The feature under the pointer is reported at once (HedongGeo.clicked, as any click); when more
 * lie there, a chooser lists each with its layer (properties.n, properties.l), from the frame
 * after the click's (HedongGeo.choosing while it is on its way), and choosing one reports it.
 * A click inside a zone but on no drawn shape reaches the zone the same way.
 * Accuracy circles take no clicks (hedong.js draws them non-interactive).
 *
 * Points drawn at one site (properties.site) spread apart in a small circle from zoom
 * HedongGeo.spread.min_zoom on, each marker reachable; their accuracy circle stays at the site.
 */
(function () {
  "use strict";

  var HD = window.HedongGeo;
  var POINT_SLOP = 5; // px beyond a marker's radius that still hit it
  var LINE_SLOP = 5; // px either side of a line (beyond half its width)

  function isMarker(part) {
    return part instanceof L.CircleMarker && !(part instanceof L.Circle);
  }

  function partsOf(layer) {
    var out = [];
    (function walk(l) {
      if (l.eachLayer) l.eachLayer(walk);
      else out.push(l);
    })(layer);
    return out;
  }

  // The drawn parts of an entry, flattened once: a feature's group never changes its parts
  // (spreadSites moves markers, it does not replace them).
  function entryParts(entry) {
    if (!entry.parts) entry.parts = partsOf(entry.layer);
    return entry.parts;
  }

  // Even-odd rule over every ring (outer rings, holes, the parts of a multipolygon).
  function inside(rings, p) {
    var hit = false;
    rings.forEach(function (ring) {
      for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        var a = ring[i];
        var b = ring[j];
        if (a.y > p.y !== b.y > p.y && p.x < ((b.x - a.x) * (p.y - a.y)) / (b.y - a.y) + a.x) hit = !hit;
      }
    });
    return hit;
  }

  function nearLine(rings, p, slop, closed) {
    return rings.some(function (ring) {
      var n = ring.length;
      for (var i = 1; i < n + (closed ? 1 : 0); i++) {
        if (L.LineUtil.pointToSegmentDistance(p, ring[i - 1], ring[i % n]) <= slop) return true;
      }
      return false;
    });
  }

  function ringArea(rings) {
    var area = 0;
    rings.forEach(function (ring) {
      for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        area += (ring[j].x + ring[i].x) * (ring[j].y - ring[i].y);
      }
    });
    return Math.abs(area / 2);
  }

  // How a part is hit at layer point p: [rank, tie-break] (lower first), or null. A path is
  // first rejected by its projected box (Leaflet's _pxBounds) widened by the slop.
  function hitPart(part, p, zone) {
    if (part.options.interactive === false || !part._map) return null;
    if (isMarker(part)) {
      var d = p.distanceTo(part._point);
      return d <= part._radius + POINT_SLOP ? [0, d] : null;
    }
    var rings = part._rings;
    if (!rings || !rings.length) return null;
    var slop = (part.options.weight || 1) / 2 + LINE_SLOP;
    var box = part._pxBounds;
    if (box && (p.x < box.min.x - slop || p.x > box.max.x + slop || p.y < box.min.y - slop || p.y > box.max.y + slop)) {
      return null;
    }
    if (part instanceof L.Polygon) {
      return inside(rings, p) || nearLine(rings, p, slop, true) ? [2, ringArea(rings)] : null;
    }
    if (zone) return inside(rings, p) || nearLine(rings, p, slop, false) ? [3, ringArea(rings)] : null;
    return nearLine(rings, p, slop, false) ? [1, 0] : null;
  }

  // Every shown feature under latlng, the topmost first: points, lines, areas (smallest
  // first), zones. `first` (the shape the click landed on) leads.
  HD.hitTest = function (latlng, first) {
    var map = HD.map;
    var p = map.latLngToLayerPoint(latlng);
    var found = {};
    HD.entries.forEach(function (entry) {
      if (!entry.layer._map) return;
      var best = null;
      var parts = entryParts(entry);
      var zone = entry.f.properties.z;
      for (var i = 0; i < parts.length; i++) {
        var hit = hitPart(parts[i], p, zone);
        if (hit && (!best || hit[0] < best[0] || (hit[0] === best[0] && hit[1] < best[1]))) best = hit;
      }
      var id = entry.f.properties.id;
      if (best && (!found[id] || best[0] < found[id].rank[0])) found[id] = { entry: entry, rank: best };
    });
    var hits = Object.keys(found).map(function (id) {
      return found[id];
    });
    hits.sort(function (a, b) {
      if (first && a.entry === first) return -1;
      if (first && b.entry === first) return 1;
      return a.rank[0] - b.rank[0] || a.rank[1] - b.rank[1];
    });
    return hits.map(function (h) {
      return h.entry;
    });
  };

  function chooser(hits, latlng) {
    var box = document.createElement("div");
    box.className = "hd-chooser";
    var head = document.createElement("div");
    head.textContent = (HD.text.here || "").replace("{n}", hits.length);
    box.appendChild(head);
    var popup = L.popup({ className: "hd-chooser-popup", autoPan: true, maxWidth: 280, minWidth: 200 });
    hits.forEach(function (entry, i) {
      var p = entry.f.properties;
      var b = document.createElement("button");
      b.type = "button";
      b.setAttribute("data-feature", p.id);
      var name = document.createElement("b");
      name.textContent = p.n || p.id;
      var layer = document.createElement("small");
      layer.textContent = p.l || "";
      b.appendChild(name);
      if (i === 0) {
        b.setAttribute("aria-current", "true");
        name.appendChild(document.createTextNode(HD.text.here_current || ""));
      }
      b.appendChild(layer);
      L.DomEvent.on(b, "click", function (ev) {
        L.DomEvent.stop(ev);
        HD.map.closePopup(popup);
        HD.clicked(p.id);
      });
      box.appendChild(b);
    });
    L.DomEvent.disableScrollPropagation(box);
    // No tooltip over the list (a sticky one follows the pointer until it leaves the feature).
    hits.forEach(function (entry) {
      if (entry.layer.closeTooltip) entry.layer.closeTooltip();
    });
    popup.setLatLng(latlng).setContent(box).openOn(HD.map);
    return popup;
  }

  function measuring() {
    return HD.map.getContainer().classList.contains("hd-measuring");
  }

  // What answers the click (the panel, the selection) comes first; the chooser opens once that
  // frame is on screen: its layout and its pan would delay it. A click on a drawn shape reports
  // that shape at once, and the hit test for the chooser also waits until then. A newer pick
  // cancels a chooser not open yet; HD.choosing says one is on its way (tests wait for it).
  var picks = 0;
  HD.choosing = false;

  function offer(latlng, first, hits) {
    var mine = ++picks;
    HD.choosing = true;
    HD.afterFrames(1, function () {
      if (mine !== picks) return;
      HD.choosing = false;
      if (!hits) {
        hits = HD.hitTest(latlng, first);
        if (hits[0] !== first) hits.unshift(first); // fired on a shape not drawn now
      }
      if (hits.length > 1 && !measuring()) chooser(hits, latlng);
    });
  }

  function pickAt(latlng, first) {
    if (first) {
      HD.clicked(first.f.properties.id);
      offer(latlng, first, null);
      return true;
    }
    var hits = HD.hitTest(latlng, null);
    if (!hits.length) return false;
    HD.clicked(hits[0].f.properties.id);
    if (hits.length > 1) offer(latlng, null, hits);
    else {
      picks++; // a chooser on its way is for an older click
      HD.choosing = false;
    }
    return true;
  }

  HD.pick = function (e, entry) {
    if (measuring()) return;
    if (e.originalEvent) e.originalEvent._hdPicked = true;
    pickAt(e.latlng, entry);
  };

  /* ---- points of one site spread apart when zoomed in ---- */

  function spreadSites(map) {
    var radius = HD.spread.radius_px || 14;
    var on = map.getZoom() >= (HD.spread.min_zoom || 15);
    var sites = {};
    HD.entries.forEach(function (entry) {
      var key = entry.f.properties.site;
      if (key) (sites[key] = sites[key] || []).push(entry);
    });
    Object.keys(sites).forEach(function (key) {
      var markers = [];
      sites[key].forEach(function (entry) {
        entryParts(entry).forEach(function (part) {
          if (isMarker(part)) markers.push(part);
        });
      });
      markers.forEach(function (m, i) {
        if (!m._hdHome) m._hdHome = m.getLatLng();
        if (!on || markers.length < 2) return m.setLatLng(m._hdHome);
        var angle = (2 * Math.PI * i) / markers.length - Math.PI / 2;
        var at = map.latLngToLayerPoint(m._hdHome).add(L.point(Math.cos(angle), Math.sin(angle)).multiplyBy(radius));
        m.setLatLng(map.layerPointToLatLng(at));
      });
    });
  }

  HD.on("ready", function (map) {
    map.on("click", function (e) {
      // A click on no shape: inside a zone, or a few pixels off a point or a line.
      if (measuring() || (e.originalEvent && e.originalEvent._hdPicked)) return;
      pickAt(e.latlng, null);
    });
    map.on("zoomend", function () {
      spreadSites(map);
    });
    map.whenReady(function () {
      spreadSites(map);
    });
  });
})();
