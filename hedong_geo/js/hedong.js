/* hedong-geo web map helpers (Leaflet 1.9, nothing else).
 *
 * Written for hedong_geo/webmap.py: feature layers with per-basis styles, the one selection
 * highlight, the legend, and the tools folium would otherwise take from a CDN (measure,
 * fullscreen, mouse position). Text that reaches innerHTML here (tooltips, legend, layer names)
 * was HTML-escaped in Python.
 *
 * The public API, for a page around the map (the static site's site.js) and for webmap.py:
 *   HedongGeo.on("ready", fn)     fn(map) once the map is set up (before any layer is drawn)
 *   HedongGeo.on("click", fn)     fn(id) when a feature is clicked
 *   HedongGeo.on("area", fn)      fn([[lng, lat], …]) when an area is measured (WGS84)
 *   HedongGeo.select(id, opts)    highlight one feature on the map (null: none);
 *                                 opts.bounds: also fit the map to these bounds
 *   HedongGeo.highlighted         the id HD.select highlighted (the zone for a place tied to
 *                                 one), or null
 *   HedongGeo.highlight(target, id)  draw a feature's highlight into a layer group or map
 *                                 (for a place tied only to a zone: the zone's)
 *   HedongGeo.openAt(bounds)      open the map on these bounds instead of its default view
 *                                 (call it from a "ready" callback)
 *   HedongGeo.colourBy(mode)      colour the features by "group" (default) or "status"; the
 *                                 legend shows the key of the one in use, with counts
 *   HedongGeo.clicked(id)         report a click on feature id (the "click" hooks), as a click;
 *                                 or a feature drawn elsewhere (vectortiles.js)
 *                                 on the map does: for the chooser, the lists and the tour
 *   HedongGeo.labels(target, fc)  draw names (properties.n) as text that takes no clicks
 *   HedongGeo.renderer(pane)      the canvas renderer a vector layer in `pane` is drawn with
 *                                 (the panes under the basemap labels share one, those over
 *                                 them another; undefined for the other panes)
 *   HedongGeo.shapeAt(point)      the clickable shape (a Leaflet layer) a click at container
 *                                 point [x, y] lands on, or null
 *   HedongGeo.drawn()             true once the shared canvases have drawn what was added
 *   HedongGeo.afterFrames(n, fn)  fn once n frames have been drawn (in a task after them)
 *   HedongGeo.zoomFrames          frames after a zoom's end until the canvases have drawn
 *   HedongGeo.toWgs84             set (by tilesources.js) when the map is drawn in another
 *                                 datum (GCJ-02): the mouse position and measures use it
 *
 * A click on a feature goes to HedongGeo.pick (pick.js: the chooser of everything under the
 * pointer) when it is loaded, else reports the feature. HedongGeo.entries lists every clickable
 * feature drawn, as {f, layer}.
 */
(function () {
  "use strict";

  var HD = (window.HedongGeo = window.HedongGeo || {});

  var hooks = { ready: [], click: [], area: [] };
  var drawn = {}; // feature id → its GeoJSON feature as drawn (the first one drawn)
  var opening = null; // bounds a page asked to open on (HD.openAt)
  var current = null; // the highlight HD.select drew
  var painted = []; // [{f, layer}] every feature drawn, for colouring by status
  var entries = (HD.entries = []); // [{f, layer}] every clickable feature drawn

  HD.on = function (type, fn) {
    if (!hooks[type]) throw new Error("HedongGeo.on: no event " + type + " (ready, click, area)");
    hooks[type].push(fn);
    if (type === "ready" && HD.map) fn(HD.map);
    return HD;
  };

  function emit(type, arg) {
    hooks[type].forEach(function (fn) {
      fn(arg);
    });
  }

  // Panes keep areas under lines under points whatever order the layers are toggled in.
  var PANES = [
    ["hdContext", 350],
    ["hdStreets", 400],
    ["hdStreetLabels", 405],
    ["hdAreas", 410],
    ["hdLines", 420],
    ["hdPoints", 430],
    ["hdSelected", 440],
    ["hdMeasure", 450],
  ];

  // The vector panes each side of the basemap labels (hdBaseLabels, 404; and the tiled layers,
  // 408) share one canvas, drawn in the panes' order. With one SVG per pane the browser
  // composited six map-sized layers at every frame of a zoom or pan; with two shared SVGs it
  // still rasterised both again after every zoom (each redraws its paths at moveend), the
  // long frames of the map without any large layer. A canvas is drawn once per move, by the
  // page, and only composited after (docs/performance.md, "Frame gaps").
  var SHARED = [
    ["hdContext", "hdBaseWater", "hdStreets"],
    ["hdAreas", "hdLines", "hdPoints"],
  ];
  // Frames after the one that ends a zoom until every shared canvas has drawn again (one each,
  // the canvas in front first: PaneCanvas's "later").
  HD.zoomFrames = SHARED.length;
  var shared = {}; // pane -> the canvas renderer it is drawn into
  var canvases = []; // the shared renderers, lowest first

  // fn once `frames` frames have been drawn (in a task after the last of them): work that
  // would lengthen the frame it falls in, after it.
  HD.afterFrames = function (frames, fn) {
    L.Util.requestAnimFrame(function () {
      setTimeout(function () {
        if (frames > 1) HD.afterFrames(frames - 1, fn);
        else fn();
      }, 0);
    });
  };

  var PaneCanvas = L.Canvas.extend({
    // options.panes: the panes drawn on this canvas, lowest first (its own pane first);
    // options.below: the canvas under this one. The canvas on top takes every pointer event
    // over the map, so it answers for the one below where none of its own shapes is hit.
    // options.later: after a zoom, drawn that many frames after the frame that ends it. Each
    // canvas is a map-sized bitmap to draw and hand to the compositor: drawn in that frame,
    // with the labels and the tiles, they made it the longest of the zoom. Until then a canvas
    // shows its drawing scaled, as during the zoom.
    _onZoomEnd: function () {
      L.Canvas.prototype._onZoomEnd.call(this);
      this._zoomed = this.options.later > 0;
    },

    _update: function () {
      if (!this._zoomed) return L.Canvas.prototype._update.call(this);
      this._zoomed = false;
      var self = this;
      this._later = true;
      HD.afterFrames(this.options.later, function () {
        self._later = false;
        if (self._map && !self._map._animatingZoom) L.Canvas.prototype._update.call(self);
      });
    },

    _redraw: function () {
      // Not while a later drawing is on its way: it draws everything, in the new view.
      if (!this._later) return L.Canvas.prototype._redraw.call(this);
      this._redrawRequest = null;
      this._redrawBounds = null;
    },

    _initPath: function (layer) {
      L.Canvas.prototype._initPath.call(this, layer);
      this._unlink(layer._order);
      this._insert(layer._order, true);
    },

    // Puts `order` (a layer's node in the drawing list) last among the shapes of its pane
    // (first, with last false): a pane's shapes are drawn over those of the panes under it
    // whatever order the layers are added or brought to the front in.
    _insert: function (order, last) {
      order.rank = this.options.panes.indexOf(order.layer.options.pane);
      var prev = this._drawLast;
      while (prev && (prev.rank > order.rank || (!last && prev.rank === order.rank))) prev = prev.prev;
      order.prev = prev;
      order.next = prev ? prev.next : this._drawFirst;
      if (order.next) order.next.prev = order;
      else this._drawLast = order;
      if (prev) prev.next = order;
      else this._drawFirst = order;
    },

    _unlink: function (order) {
      if (order.next) order.next.prev = order.prev;
      else this._drawLast = order.prev;
      if (order.prev) order.prev.next = order.next;
      else this._drawFirst = order.next;
      order.prev = order.next = null;
    },

    _bringToFront: function (layer) {
      if (!layer._order) return;
      this._unlink(layer._order);
      this._insert(layer._order, true);
      this._requestRedraw(layer);
    },

    _bringToBack: function (layer) {
      if (!layer._order) return;
      this._unlink(layer._order);
      this._insert(layer._order, false);
      this._requestRedraw(layer);
    },

    // The clickable shape a pointer at layer point `point` is on: the topmost of this canvas,
    // else of the one below (null: none).
    layerAt: function (point) {
      var found = null;
      for (var order = this._drawFirst; order; order = order.next) {
        var layer = order.layer;
        if (layer.options.interactive && layer._containsPoint(point)) found = layer;
      }
      var below = this.options.below;
      return found || (below && below._map ? below.layerAt(point) : null);
    },

    // Leaflet's own, but through layerAt (both canvases).
    _onClick: function (e) {
      var layer = this.layerAt(this._map.mouseEventToLayerPoint(e));
      if (layer && (e.type === "click" || e.type === "preclick") && this._map._draggableMoved(layer)) layer = null;
      this._fireEvent(layer ? [layer] : false, e);
    },

    _handleMouseHover: function (e, point) {
      if (this._mouseHoverThrottled) return;
      var layer = this.layerAt(point);
      if (layer !== this._hoveredLayer) {
        this._handleMouseOut(e);
        if (layer) {
          L.DomUtil.addClass(this._container, "leaflet-interactive"); // the pointer cursor
          this._fireEvent([layer], e, "mouseover");
          this._hoveredLayer = layer;
        }
      }
      this._fireEvent(this._hoveredLayer ? [this._hoveredLayer] : false, e);
      this._mouseHoverThrottled = true;
      var self = this;
      setTimeout(function () {
        self._mouseHoverThrottled = false;
      }, 32);
    },
  });

  // A pan (the zoom buttons' and keys' moves, a drag's glide) animates the map through
  // fractional pixel offsets. Chromium rasterises a layer again whenever the fraction of its
  // offset changes (to keep text sharp), so every frame of a pan re-rasterised both SVGs and
  // every label shown; in whole pixels the layers only move.
  if (!L.PosAnimation.prototype._hdWhole) {
    var runFrame = L.PosAnimation.prototype._runFrame;
    L.PosAnimation.prototype._runFrame = function (progress) {
      return runFrame.call(this, progress, true);
    };
    L.PosAnimation.prototype._hdWhole = true;
  }

  // The renderer of a vector layer in `pane` (undefined: Leaflet's own for that pane).
  HD.renderer = function (pane) {
    return shared[pane];
  };

  // The clickable shape a click at container point `point` lands on (the topmost drawn on the
  // shared canvases), or null: what Leaflet fires the click on, before pick.js's hit test.
  HD.shapeAt = function (point) {
    var top = null;
    canvases.forEach(function (canvas) {
      if (canvas._map) top = canvas;
    });
    return top ? top.layerAt(HD.map.containerPointToLayerPoint(L.point(point))) : null;
  };

  // True once every shared canvas has drawn what was added to it.
  HD.drawn = function () {
    return canvases.every(function (canvas) {
      return !canvas._redrawRequest && !canvas._later;
    });
  };

  HD.setup = function (map, opts) {
    HD.map = map;
    HD.styles = opts.styles;
    HD.marker = opts.marker;
    HD.hover = opts.hover;
    HD.accuracy = opts.accuracy;
    HD.selected = opts.selected;
    HD.statuses = opts.statuses || {};
    HD.spread = opts.spread || {};
    HD.text = opts.text || {};
    HD.zoneOf = opts.zone_of || {};
    HD.streetLabel = opts.street_label;
    map.getContainer().style.background = opts.background;
    PANES.forEach(function (p) {
      if (!map.getPane(p[0])) {
        map.createPane(p[0]).style.zIndex = p[1];
      }
    });
    shared = {};
    canvases = [];
    SHARED.forEach(function (panes) {
      var below = canvases[canvases.length - 1];
      // After a zoom: the canvas in front first, then the one under the labels.
      var later = HD.zoomFrames - canvases.length;
      var renderer = new PaneCanvas({ pane: panes[0], panes: panes, below: below, later: later });
      canvases.push(renderer);
      panes.forEach(function (pane) {
        shared[pane] = renderer;
      });
    });
    emit("ready", map);
  };

  // The map's opening fit (webmap.py ends with it), unless a page asked for other bounds.
  HD.fit = function (map, bounds, opts) {
    map.fitBounds(opening || bounds, opts);
    opening = null;
    countLegend();
    map.on("overlayadd overlayremove", countLegend);
  };

  // A click to report: an id (the chooser, the unlocated list, the tour), or a feature drawn
  // elsewhere (vectortiles.js), which is known from now on.
  HD.clicked = function (idOrFeature) {
    var id = idOrFeature;
    if (idOrFeature && typeof idOrFeature === "object") {
      id = idOrFeature.properties.id;
      if (!drawn[id]) drawn[id] = idOrFeature;
    }
    emit("click", id);
  };

  HD.openAt = function (bounds) {
    opening = bounds;
  };

  function paneFor(type) {
    if (type === "Point" || type === "MultiPoint") return "hdPoints";
    if (type === "LineString" || type === "MultiLineString") return "hdLines";
    return "hdAreas";
  }

  function markerOptions(style, opts) {
    return {
      radius: HD.marker.radius,
      color: HD.marker.color,
      weight: HD.marker.weight,
      fillColor: style.color,
      fillOpacity: HD.marker.fill_opacity,
      pane: opts.pane,
      renderer: HD.renderer(opts.pane),
      interactive: opts.interactive,
    };
  }

  function pointLayer(f, style, opts) {
    // Each point: a translucent circle of the feature's accuracy (metres) plus a small marker.
    var coords = f.geometry.type === "Point" ? [f.geometry.coordinates] : f.geometry.coordinates;
    var parts = [];
    coords.forEach(function (c) {
      var latlng = L.latLng(c[1], c[0]);
      if (f.properties.r) {
        parts.push(
          L.circle(latlng, L.extend({}, style, {
            radius: f.properties.r,
            weight: HD.accuracy.weight,
            dashArray: HD.accuracy.dash,
            fillOpacity: HD.accuracy.fill_opacity,
            pane: opts.pane,
            renderer: HD.renderer(opts.pane),
            // Only the marker takes clicks: a large circle must not cover the areas beneath it.
            interactive: false,
          }))
        );
      }
      parts.push(L.circleMarker(latlng, markerOptions(style, opts)));
    });
    parts.forEach(function (p) {
      p.feature = f; // so a click reports this feature (toGeoJSON keeps its properties)
    });
    return L.featureGroup(parts);
  }

  // Add a FeatureCollection to `target`; properties: id, k (style key), t (tooltip HTML), r (m).
  HD.layer = function (target, fc, opts) {
    opts = opts || {};
    var interactive = opts.interactive !== false;
    fc.features.forEach(function (f) {
      var style = HD.styles[f.properties.k] || {};
      var type = f.geometry.type;
      var pane = opts.pane || paneFor(type);
      var layer;
      var o = { pane: pane, renderer: HD.renderer(pane), interactive: interactive };
      if (type === "Point" || type === "MultiPoint") {
        layer = pointLayer(f, style, o);
      } else {
        layer = L.GeoJSON.geometryToLayer(
          f,
          L.extend({}, style, o, {
            // Points inside a GeometryCollection: small markers, never Leaflet's image icons.
            pointToLayer: function (_, latlng) {
              return L.circleMarker(latlng, markerOptions(style, o));
            },
          })
        );
        if (interactive && typeof layer.setStyle === "function") {
          layer.on("mouseover", function () {
            layer.setStyle({ weight: (style.weight || 1) + HD.hover.weight_add });
          });
          layer.on("mouseout", function () {
            layer.setStyle({ weight: style.weight });
          });
        }
      }
      layer.feature = L.GeoJSON.asFeature(f);
      if (f.properties.s) painted.push({ f: f, layer: layer });
      if (interactive) {
        var id = f.properties.id;
        var entry = { f: f, layer: layer };
        entries.push(entry);
        if (!drawn[id]) drawn[id] = f;
        layer.on("click", function (e) {
          // The tiles under a drawn shape are not clicked (vectortiles.js).
          if (e.originalEvent) e.originalEvent._hdOnShape = true;
          if (HD.pick) HD.pick(e, entry);
          else emit("click", id);
        });
        if (f.properties.t) {
          layer.bindTooltip(f.properties.t, { sticky: true, className: "hd-tooltip" });
        }
      }
      layer.addTo(target);
    });
    return target;
  };

  /* ---- names as labels, colour by status, counts in the legend ---- */

  HD.labels = function (target, fc) {
    fc.features.forEach(function (f) {
      var c = f.geometry.coordinates;
      var span = document.createElement("span");
      span.textContent = f.properties.n;
      if (HD.streetLabel) span.style.color = HD.streetLabel;
      var icon = L.divIcon({ className: "hd-label", html: span, iconSize: null });
      L.marker(L.latLng(c[1], c[0]), { icon: icon, interactive: false, keyboard: false, pane: "hdStreetLabels" }).addTo(target);
    });
    return target;
  };

  function paint(entry, colour) {
    var style = HD.styles[entry.f.properties.k] || {};
    var color = colour || style.color;
    entry.layer.eachLayer
      ? entry.layer.eachLayer(function (part) {
          // A point's marker keeps its white ring; its accuracy circle and fill take the colour.
          var isMarker = part instanceof L.CircleMarker && !(part instanceof L.Circle);
          part.setStyle(isMarker && part.options.color === HD.marker.color ? { fillColor: color } : { color: color, fillColor: color });
        })
      : entry.layer.setStyle({ color: color, fillColor: color });
  }

  HD.colourBy = function (mode) {
    HD.colouring = mode === "status" ? "status" : "group";
    painted.forEach(function (entry) {
      paint(entry, HD.colouring === "status" ? HD.statuses[entry.f.properties.s] : null);
    });
    // The legend shows the key in use, whoever asked (its toggle, the app, a page).
    var legend = HD.map && HD.map.getContainer().querySelector(".hd-legend");
    if (legend) {
      legend.classList.toggle("hd-status-colours", HD.colouring === "status");
      var radio = legend.querySelector("input[name=hd-colour-by][value=" + HD.colouring + "]");
      if (radio) radio.checked = true;
    }
    return HD.colouring;
  };

  function countLegend() {
    // How many features of each status and plan group the map shows now (layers toggled off
    // are not counted); tiled layers hold no features here and count themselves.
    var legend = HD.map && HD.map.getContainer().querySelector(".hd-legend");
    if (!legend) return;
    var counts = HD.tiledCounts ? HD.tiledCounts() : {};
    painted.forEach(function (entry) {
      if (!entry.layer._map) return;
      var p = entry.f.properties;
      var group = "group:" + String(p.k).split("|")[0];
      counts["status:" + p.s] = (counts["status:" + p.s] || 0) + 1;
      counts[group] = (counts[group] || 0) + 1;
    });
    legend.querySelectorAll("[data-count]").forEach(function (row) {
      var n = counts[row.getAttribute("data-count")] || 0;
      var span = row.querySelector(".hd-count");
      if (span) span.textContent = "(" + n + ")";
      row.setAttribute("data-n", String(n));
    });
  }

  /* ---- the selection: one highlight, drawn on top and not clickable ---- */

  HD.highlight = function (target, id) {
    // A place the plan ties only to a zone is not drawn: its zone is highlighted instead.
    // HD.find (vectortiles.js) knows the features of tiled layers.
    var f = drawn[id] || drawn[HD.zoneOf[id]] || (HD.find ? HD.find(id) : null);
    if (!f) return null;
    var s = HD.selected;
    // A schematic outline stays dashed when selected: selection must not make it look surveyed.
    var style = {
      color: s.color,
      weight: s.weight,
      dashArray: (HD.styles[f.properties.k] || {}).dashArray,
      fillColor: s.color,
      fillOpacity: s.fill_opacity,
      pane: "hdSelected",
      interactive: false,
    };
    var layer = L.geoJSON(f, {
      pane: "hdSelected",
      interactive: false,
      style: function () {
        return style;
      },
      // A point: its marker again on top of everything (never hidden under another feature's
      // circle), a ring round it, and its accuracy circle drawn as an outline only.
      pointToLayer: function (_, latlng) {
        var own = L.extend(markerOptions(HD.styles[f.properties.k] || {}, { pane: "hdSelected", interactive: false }));
        var parts = [L.circleMarker(latlng, L.extend({}, style, { radius: s.radius, fill: false })), L.circleMarker(latlng, own)];
        if (f.properties.r) {
          parts.unshift(L.circle(latlng, L.extend({}, style, { radius: f.properties.r, fill: false, weight: 2 })));
        }
        return L.featureGroup(parts);
      },
    });
    return layer.addTo(target);
  };

  function fitTo(map, bounds) {
    // A fit made while a zoom animation runs would be undone when that animation ends (the
    // opening fit is one): fit once it has ended.
    if (map._animatingZoom) {
      map.once("zoomend", function () {
        fitTo(map, bounds);
      });
      return;
    }
    // Not closer than a few streets: a selected place is seen with what is around it.
    map.fitBounds(bounds, { padding: [40, 40], maxZoom: 15 });
  }

  HD.select = function (id, opts) {
    if (current) HD.map.removeLayer(current);
    current = id == null ? null : HD.highlight(HD.map, id);
    // What is drawn highlighted: the feature, or the zone of a place tied only to a zone.
    HD.highlighted = current ? (drawn[id] ? id : HD.zoneOf[id]) : null;
    if (current && opts && opts.bounds) fitTo(HD.map, opts.bounds);
    return current !== null;
  };

  /* ---- legend ---- */

  L.Control.HdLegend = L.Control.extend({
    options: { position: "bottomright", html: "" },
    onAdd: function (map) {
      // Collapsed to its title unless the map is wide: open, it would hide the features under
      // it (the park sits in the bottom-right corner of the district). The title toggles it.
      var div = L.DomUtil.create("div", "hd-legend leaflet-control");
      div.innerHTML = this.options.html;
      var title = div.querySelector("h4");
      if (title) {
        title.setAttribute("role", "button");
        title.setAttribute("tabindex", "0");
        var toggle = function () {
          div.classList.toggle("hd-collapsed");
          title.setAttribute("aria-expanded", String(!div.classList.contains("hd-collapsed")));
        };
        L.DomEvent.on(title, "click", toggle);
        L.DomEvent.on(title, "keydown", function (e) {
          if (e.key === "Enter" || e.key === " ") toggle();
        });
        if (map.getSize().x < 1000) toggle();
      }
      div.querySelectorAll("input[name=hd-colour-by]").forEach(function (input) {
        L.DomEvent.on(input, "change", function () {
          if (input.checked) {
            HD.colourBy(input.value);
            div.classList.toggle("hd-status-colours", input.value === "status");
          }
        });
      });
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      return div;
    },
  });

  /* ---- mouse position ---- */

  // A point as the user should read it: in WGS84 even on GCJ-02 tiles (HD.toWgs84).
  function wgs84(latlng) {
    return HD.toWgs84 ? HD.toWgs84(latlng) : latlng;
  }

  L.Control.HdMousePosition = L.Control.extend({
    options: { position: "bottomleft", datum: "WGS84" },
    onAdd: function (map) {
      var div = L.DomUtil.create("div", "hd-mouse-position leaflet-control");
      var datum = this.options.datum;
      map.on("mousemove", function (e) {
        var at = wgs84(e.latlng);
        div.textContent = at.lat.toFixed(5) + ", " + at.lng.toFixed(5) + " (" + datum + ")";
      });
      map.on("mouseout", function () {
        div.textContent = "";
      });
      return div;
    },
  });

  /* ---- fullscreen ---- */

  var ICON_FULL =
    '<svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true"><path d="M2 6V2h4M10 2h4v4M14 10v4h-4M6 14H2v-4" fill="none" stroke="currentColor" stroke-width="2"/></svg>';
  var ICON_RULER =
    '<svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true"><path d="M1 11 11 1l4 4L5 15z" fill="none" stroke="currentColor" stroke-width="1.5"/><path d="M4 8l1.5 1.5M6 6l2 2M8 4l1.5 1.5" stroke="currentColor" stroke-width="1.2"/></svg>';
  var ICON_AREA =
    '<svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true"><path d="M2 12 4 3l9 2 1 8z" fill="currentColor" fill-opacity=".25" stroke="currentColor" stroke-width="1.5"/></svg>';

  function button(container, html, title, onClick) {
    var a = L.DomUtil.create("a", "hd-button", container);
    a.href = "#";
    a.role = "button";
    a.title = title;
    a.setAttribute("aria-label", title);
    a.innerHTML = html;
    L.DomEvent.on(a, "click", L.DomEvent.stop).on(a, "click", onClick);
    return a;
  }

  L.Control.HdFullscreen = L.Control.extend({
    options: { position: "topleft", title: "Fullscreen" },
    onAdd: function (map) {
      var bar = L.DomUtil.create("div", "leaflet-bar hd-fullscreen");
      var box = map.getContainer();
      button(bar, ICON_FULL, this.options.title, function () {
        var doc = document;
        if (doc.fullscreenElement) {
          doc.exitFullscreen();
        } else if (L.DomUtil.hasClass(box, "hd-pseudo-fullscreen")) {
          L.DomUtil.removeClass(box, "hd-pseudo-fullscreen");
          map.invalidateSize();
        } else if (box.requestFullscreen) {
          // Refused inside an iframe without allow="fullscreen": fill the frame instead.
          box.requestFullscreen().catch(function () {
            L.DomUtil.addClass(box, "hd-pseudo-fullscreen");
            map.invalidateSize();
          });
        } else {
          L.DomUtil.addClass(box, "hd-pseudo-fullscreen");
          map.invalidateSize();
        }
      });
      document.addEventListener("fullscreenchange", function () {
        map.invalidateSize();
      });
      return bar;
    },
  });

  /* ---- measure distance and area ---- */

  function formatLength(m) {
    return m < 1000 ? m.toFixed(0) + " m" : (m / 1000).toFixed(2) + " km";
  }

  function formatArea(m2) {
    return m2 < 1e5 ? m2.toFixed(0) + " m²" : (m2 / 1e6).toFixed(3) + " km²";
  }

  // Area of a polygon on the sphere (as Leaflet.draw's geodesicArea), in square metres.
  function geodesicArea(latlngs) {
    var d2r = Math.PI / 180;
    var area = 0;
    var n = latlngs.length;
    if (n < 3) return 0;
    for (var i = 0; i < n; i++) {
      var p1 = latlngs[i];
      var p2 = latlngs[(i + 1) % n];
      area += (p2.lng - p1.lng) * d2r * (2 + Math.sin(p1.lat * d2r) + Math.sin(p2.lat * d2r));
    }
    return Math.abs((area * 6378137 * 6378137) / 2);
  }
  HD.geodesicArea = geodesicArea;

  L.Control.HdMeasure = L.Control.extend({
    options: {
      position: "topleft",
      color: "#d35400",
      text: { distance: "Measure distance", area: "Measure area", hint: "click to add points, double-click to finish" },
    },

    onAdd: function (map) {
      var self = this;
      var t = this.options.text;
      this._map = map;
      this._layer = L.layerGroup().addTo(map);
      this._label = L.tooltip({ permanent: true, direction: "right", className: "hd-measure-label", interactive: false });
      var bar = L.DomUtil.create("div", "leaflet-bar hd-measure");
      this._buttons = {
        distance: button(bar, ICON_RULER, t.distance + " (" + t.hint + ")", function () {
          self._toggle("distance");
        }),
        area: button(bar, ICON_AREA, t.area + " (" + t.hint + ")", function () {
          self._toggle("area");
        }),
      };
      return bar;
    },

    _toggle: function (mode) {
      var was = this._mode;
      this._stop(true);
      if (was !== mode) this._start(mode);
    },

    _start: function (mode) {
      var map = this._map;
      this._mode = mode;
      this._points = [];
      L.DomUtil.addClass(this._buttons[mode], "hd-active");
      // Clicks on features must reach the map while measuring, not select a feature.
      L.DomUtil.addClass(map.getContainer(), "hd-measuring");
      this._dblZoom = map.doubleClickZoom.enabled();
      map.doubleClickZoom.disable();
      map.on("click", this._onClick, this);
      map.on("mousemove", this._onMove, this);
      map.on("dblclick", this._onFinish, this);
      L.DomEvent.on(document, "keydown", this._onKey, this);
    },

    _stop: function (clear) {
      var map = this._map;
      if (this._mode) {
        L.DomUtil.removeClass(this._buttons[this._mode], "hd-active");
      }
      this._mode = null;
      L.DomUtil.removeClass(map.getContainer(), "hd-measuring");
      if (this._dblZoom) map.doubleClickZoom.enable();
      map.off("click", this._onClick, this);
      map.off("mousemove", this._onMove, this);
      map.off("dblclick", this._onFinish, this);
      L.DomEvent.off(document, "keydown", this._onKey, this);
      if (clear) {
        this._layer.clearLayers();
        if (map.hasLayer(this._label)) map.removeLayer(this._label);
      }
    },

    _onKey: function (e) {
      if (e.key === "Escape") this._stop(true);
    },

    _onClick: function (e) {
      this._points.push(e.latlng);
      this._draw(null);
    },

    _onMove: function (e) {
      if (this._points.length) this._draw(e.latlng);
    },

    _onFinish: function () {
      // A double-click is also two clicks: drop the vertex its second click added.
      var pts = this._points;
      var map = this._map;
      if (pts.length > 1) {
        var a = map.latLngToContainerPoint(pts[pts.length - 1]);
        var b = map.latLngToContainerPoint(pts[pts.length - 2]);
        if (a.distanceTo(b) < 5) pts.pop();
      }
      var mode = this._mode;
      this._draw(null);
      this._stop(false);
      // A finished area is a site a page may check (the app's site check): its WGS84 ring.
      if (mode === "area" && pts.length > 2) {
        emit(
          "area",
          pts.map(wgs84).map(function (p) {
            return [+p.lng.toFixed(6), +p.lat.toFixed(6)];
          })
        );
      }
    },

    _result: function (points) {
      var map = this._map;
      var pts = points.map(wgs84);
      var length = 0;
      for (var i = 1; i < pts.length; i++) length += map.distance(pts[i - 1], pts[i]);
      if (this._mode === "area") {
        if (pts.length > 2) length += map.distance(pts[pts.length - 1], pts[0]);
        return formatArea(geodesicArea(pts)) + " · " + formatLength(length);
      }
      return formatLength(length);
    },

    _draw: function (cursor) {
      var pts = this._points.slice();
      if (cursor) pts.push(cursor);
      var style = { color: this.options.color, weight: 3, dashArray: "6 4", pane: "hdMeasure", interactive: false };
      var shapes = this._layer;
      shapes.clearLayers();
      shapes.addLayer(
        this._mode === "area" && pts.length > 2
          ? L.polygon(pts, L.extend({ fillOpacity: 0.15 }, style))
          : L.polyline(pts, style)
      );
      this._points.forEach(function (p) {
        shapes.addLayer(L.circleMarker(p, { radius: 3, color: style.color, fillOpacity: 1, pane: "hdMeasure", interactive: false }));
      });
      this.lastResult = pts.length > 1 ? this._result(pts) : "";
      // One label, moved and rewritten: a new tooltip per mouse move would pile up while fading.
      if (this.lastResult) {
        this._label.setLatLng(pts[pts.length - 1]).setContent(this.lastResult);
        if (!this._map.hasLayer(this._label)) this._label.addTo(this._map);
      } else if (this._map.hasLayer(this._label)) {
        this._map.removeLayer(this._label);
      }
    },
  });
})();
