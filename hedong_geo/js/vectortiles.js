/* hedong-geo: large layers drawn from vector tiles on canvas (Leaflet 1.9 + mvt.js).
 *
 * For hedong_geo/tiles.py: a layer of tens of thousands of features is cut once into Mapbox
 * Vector Tiles; this file draws them. Each map tile is one canvas, drawn once from the tile's
 * features (batched by style: one path per colour), so a zoom or pan moves canvases instead of
 * redrawing every polygon every frame. Tiles exist for zooms minNativeZoom..maxNativeZoom; deeper
 * zooms draw the deepest tile scaled up (still sharp: it is vector), shallower ones draw the
 * shallowest tiles scaled down. Only the tiles tiles.py listed are fetched.
 *
 * Styles come from HedongGeo's style table (properties.k, as for GeoJSON features) and the
 * status colours (properties.s) when the legend colours by status. A click is hit-tested against
 * the features of the tile under it (even-odd for areas) and reported through hedong.js as a
 * click on any feature is: HedongGeo.clicked(feature) → HedongGeo.on("click") listeners, and the
 * feature is known to HedongGeo.select/highlight from then on.
 *
 *   HedongGeo.tiles(target, opts)   add a tiled layer to `target` (a FeatureGroup or the map);
 *       opts: url ({z}/{x}/{y}), layer (MVT layer name), minNativeZoom, maxNativeZoom, extent,
 *       bounds [[s, w], [n, e]], tiles {z: ["x/y", …]}, interactive
 *   HedongGeo.tiledAt(latlng)       the tiled feature at latlng (GeoJSON), or null
 *   HedongGeo.tilesLoading()        whether a tiled layer on the map is still loading tiles
 */
(function () {
  "use strict";

  var HD = (window.HedongGeo = window.HedongGeo || {});
  var TILE = 256;
  var HIT_PX = 4; // how near a line or point a click must be, in pixels
  var KEEP = 96; // decoded tiles kept per layer (least recently used are dropped)
  var layers = []; // every tiled layer made, for the click, the colouring and HD.find
  var wanted = null; // an id HD.select asked for before its tile was loaded

  function dash(text) {
    return text ? String(text).split(/[ ,]+/).map(Number) : [];
  }

  function styleOf(props) {
    var s = (HD.styles && HD.styles[props.k]) || {};
    var colour = s.color || "#3388ff";
    if (HD.colouring === "status" && HD.statuses && HD.statuses[props.s]) colour = HD.statuses[props.s];
    return {
      key: props.k + "|" + colour,
      color: colour,
      fillOpacity: s.fillOpacity == null ? 0.2 : s.fillOpacity,
      opacity: s.opacity == null ? 1 : s.opacity,
      weight: s.weight == null ? 1 : s.weight,
      dash: dash(s.dashArray),
    };
  }

  function decode(buffer, name) {
    var tile = window.HedongMVT.decode(buffer);
    var layer = tile.layers[name];
    var out = [];
    if (!layer) return out;
    for (var i = 0; i < layer.length; i++) {
      var f = layer.feature(i);
      out.push({ type: f.type, properties: f.properties, rings: f.loadGeometry() });
    }
    return out;
  }

  function inRings(rings, x, y) {
    // Even-odd over every ring of the feature: holes and multipolygon parts alike.
    var inside = false;
    rings.forEach(function (ring) {
      for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        var a = ring[i];
        var b = ring[j];
        if (a.y > y !== b.y > y && x < ((b.x - a.x) * (y - a.y)) / (b.y - a.y) + a.x) inside = !inside;
      }
    });
    return inside;
  }

  function nearSegment(p, a, b, tol) {
    var dx = b.x - a.x;
    var dy = b.y - a.y;
    var len = dx * dx + dy * dy;
    var t = len ? Math.max(0, Math.min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / len)) : 0;
    var ex = a.x + t * dx - p.x;
    var ey = a.y + t * dy - p.y;
    return ex * ex + ey * ey <= tol * tol;
  }

  function hits(f, p, tol) {
    if (f.type === 3) return inRings(f.rings, p.x, p.y);
    return f.rings.some(function (ring) {
      if (f.type === 1 || ring.length === 1) {
        return ring.some(function (q) {
          return Math.abs(q.x - p.x) <= tol && Math.abs(q.y - p.y) <= tol;
        });
      }
      for (var i = 1; i < ring.length; i++) if (nearSegment(p, ring[i - 1], ring[i], tol)) return true;
      return false;
    });
  }

  var TiledLayer = L.GridLayer.extend({
    initialize: function (opts) {
      L.GridLayer.prototype.initialize.call(this, {
        pane: "hdTiled",
        bounds: L.latLngBounds(opts.bounds),
        updateWhenZooming: false,
        keepBuffer: 2,
      });
      this.opts = opts;
      this.have = {};
      var have = this.have;
      Object.keys(opts.tiles).forEach(function (z) {
        have[z] = {};
        opts.tiles[z].forEach(function (xy) {
          have[z][xy] = true;
        });
      });
      this.decoded = {}; // "z/x/y" -> Promise of features
      this.order = []; // keys of this.decoded, least recently used first
    },

    nativeZoom: function (z) {
      return Math.max(this.opts.minNativeZoom, Math.min(this.opts.maxNativeZoom, Math.round(z)));
    },

    features: function (z, x, y) {
      // The decoded features of one native tile (a Promise; [] for a tile that does not exist).
      var key = z + "/" + x + "/" + y;
      var i = this.order.indexOf(key);
      if (i >= 0) this.order.splice(i, 1);
      this.order.push(key);
      if (!this.decoded[key]) {
        var name = this.opts.layer;
        this.decoded[key] = !(this.have[z] && this.have[z][x + "/" + y])
          ? Promise.resolve([])
          : fetch(L.Util.template(this.opts.url, { z: z, x: x, y: y }))
              .then(function (r) {
                if (!r.ok) throw new Error("tile " + key + ": HTTP " + r.status);
                return r.arrayBuffer();
              })
              .then(function (buffer) {
                var feats = decode(buffer, name);
                feats.z = z;
                feats.x = x;
                feats.y = y;
                if (wanted) retrySelect(feats);
                return feats;
              });
        this.decoded[key].loaded = false;
        this.decoded[key].then(function (f) {
          this.loaded = f;
        }.bind(this.decoded[key]));
        while (this.order.length > KEEP) delete this.decoded[this.order.shift()];
      }
      return this.decoded[key];
    },

    sources: function (coords) {
      // The native tiles a map tile is drawn from, each with where it lands on the canvas.
      var z = coords.z;
      var nz = this.nativeZoom(z);
      var extent = this.opts.extent;
      if (z >= nz) {
        var n = Math.pow(2, z - nz);
        var sx = Math.floor(coords.x / n);
        var sy = Math.floor(coords.y / n);
        var scale = (TILE * n) / extent;
        return [{ z: nz, x: sx, y: sy, scale: scale, dx: -(coords.x - sx * n) * TILE, dy: -(coords.y - sy * n) * TILE }];
      }
      var d = Math.pow(2, nz - z);
      var out = [];
      for (var i = 0; i < d; i++) {
        for (var j = 0; j < d; j++) {
          out.push({ z: nz, x: coords.x * d + i, y: coords.y * d + j, scale: TILE / d / extent, dx: (i * TILE) / d, dy: (j * TILE) / d });
        }
      }
      return out;
    },

    createTile: function (coords, done) {
      var canvas = document.createElement("canvas");
      var ratio = window.devicePixelRatio || 1;
      canvas.width = canvas.height = TILE * ratio;
      var self = this;
      var parts = this.sources(coords);
      Promise.all(
        parts.map(function (s) {
          return self.features(s.z, s.x, s.y);
        })
      ).then(
        function (lists) {
          var ctx = canvas.getContext("2d");
          ctx.scale(ratio, ratio);
          lists.forEach(function (feats, i) {
            drawFeatures(ctx, feats, parts[i]);
          });
          done(null, canvas);
        },
        function (err) {
          done(err, canvas);
        }
      );
      return canvas;
    },

    hitTest: function (latlng) {
      // The topmost feature under latlng in the tile drawn at the map's zoom, or null.
      var map = this._map;
      var nz = this.nativeZoom(map.getZoom());
      var p = map.project(latlng, nz);
      var x = Math.floor(p.x / TILE);
      var y = Math.floor(p.y / TILE);
      var entry = this.decoded[nz + "/" + x + "/" + y];
      var feats = entry && entry.loaded;
      if (!feats) return null;
      var unit = this.opts.extent / TILE;
      var local = { x: (p.x - x * TILE) * unit, y: (p.y - y * TILE) * unit };
      var tol = (HIT_PX * unit) / Math.pow(2, map.getZoom() - nz);
      for (var i = feats.length - 1; i >= 0; i--) {
        if (hits(feats[i], local, tol)) return this.toGeoJSON(feats[i], feats);
      }
      return null;
    },

    toGeoJSON: function (f, tile) {
      // A tile feature as GeoJSON in longitude/latitude (to the tile's precision).
      var map = this._map;
      var unit = TILE / this.opts.extent;
      var ll = function (q) {
        var at = map.unproject([tile.x * TILE + q.x * unit, tile.y * TILE + q.y * unit], tile.z);
        return [at.lng, at.lat];
      };
      var rings = f.rings.map(function (r) {
        return r.map(ll);
      });
      var geometry;
      if (f.type === 3) {
        rings.forEach(function (r) {
          r.push(r[0]);
        });
        geometry = { type: "MultiPolygon", coordinates: [rings] };
      } else if (f.type === 2) {
        geometry = { type: "MultiLineString", coordinates: rings };
      } else {
        geometry = { type: "MultiPoint", coordinates: [].concat.apply([], rings) };
      }
      return { type: "Feature", properties: L.extend({}, f.properties), geometry: geometry };
    },

    find: function (id) {
      // A feature by id from the deepest decoded tile holding it, as GeoJSON; null if none.
      var best = null;
      var self = this;
      Object.keys(this.decoded).forEach(function (key) {
        var feats = self.decoded[key].loaded;
        if (!feats || (best && best.z >= feats.z)) return;
        for (var i = 0; i < feats.length; i++) {
          if (feats[i].properties.id === id) {
            best = { z: feats.z, f: feats[i], tile: feats };
            return;
          }
        }
      });
      return best && this._map ? this.toGeoJSON(best.f, best.tile) : null;
    },
  });

  function drawFeatures(ctx, feats, at) {
    // One path per style: fill it once, stroke it once.
    var batches = {};
    var order = [];
    feats.forEach(function (f) {
      var style = styleOf(f.properties);
      if (!batches[style.key]) {
        batches[style.key] = { style: style, feats: [] };
        order.push(style.key);
      }
      batches[style.key].feats.push(f);
    });
    order.forEach(function (key) {
      var b = batches[key];
      var s = b.style;
      ctx.beginPath();
      b.feats.forEach(function (f) {
        f.rings.forEach(function (ring) {
          for (var i = 0; i < ring.length; i++) {
            var px = ring[i].x * at.scale + at.dx;
            var py = ring[i].y * at.scale + at.dy;
            if (f.type === 1) {
              ctx.moveTo(px + 3, py);
              ctx.arc(px, py, 3, 0, 2 * Math.PI);
            } else if (i === 0) ctx.moveTo(px, py);
            else ctx.lineTo(px, py);
          }
          if (f.type === 3) ctx.closePath();
        });
      });
      if (b.feats[0].type !== 2) {
        ctx.globalAlpha = s.fillOpacity;
        ctx.fillStyle = s.color;
        ctx.fill("evenodd");
      }
      ctx.globalAlpha = s.opacity;
      ctx.strokeStyle = s.color;
      ctx.lineWidth = s.weight;
      ctx.setLineDash(s.dash);
      ctx.stroke();
    });
  }

  function retrySelect(feats) {
    for (var i = 0; i < feats.length; i++) {
      if (feats[i].properties.id === wanted) {
        var id = wanted;
        wanted = null;
        setTimeout(function () {
          if (HD.select) HD.select(id);
        }, 0);
        return;
      }
    }
  }

  function onMap(layer) {
    return layer._map && layer._map.hasLayer(layer);
  }

  HD.tiledAt = function (latlng) {
    for (var i = layers.length - 1; i >= 0; i--) {
      if (!onMap(layers[i]) || !layers[i].opts.interactive) continue;
      var f = layers[i].hitTest(latlng);
      if (f) return f;
    }
    return null;
  };

  HD.tilesLoading = function () {
    return layers.some(function (layer) {
      return onMap(layer) && layer.isLoading();
    });
  };

  // hedong.js asks here for a feature it did not draw (HedongGeo.highlight).
  HD.find = function (id) {
    for (var i = 0; i < layers.length; i++) {
      var f = layers[i].find(id);
      if (f) return f;
    }
    if (layers.length) wanted = id;
    return null;
  };

  function listen(map) {
    if (map._hdTiledClick) return;
    map._hdTiledClick = true;
    map.on("click", function (e) {
      var target = e.originalEvent && e.originalEvent.target;
      // A click on a drawn feature (or while measuring) is not a click on the tiles under it.
      if (target && target.classList && target.classList.contains("leaflet-interactive")) return;
      if (L.DomUtil.hasClass(map.getContainer(), "hd-measuring")) return;
      var f = HD.tiledAt(e.latlng);
      if (f && HD.clicked) HD.clicked(f);
    });
  }

  HD.tiles = function (target, opts) {
    var map = HD.map || target._map || target;
    if (!map.getPane("hdTiled")) {
      var pane = map.createPane("hdTiled");
      pane.style.zIndex = 408; // over the 街道 zones, under the plan's own areas
      pane.style.pointerEvents = "none";
    }
    var layer = new TiledLayer(opts);
    layers.push(layer);
    listen(map);
    layer.addTo(target);
    return layer;
  };

  // The legend's "colour by status" repaints the tiles too.
  var colourBy = HD.colourBy;
  if (colourBy && !colourBy._tiles) {
    HD.colourBy = function (mode) {
      var result = colourBy.apply(HD, arguments);
      layers.forEach(function (layer) {
        if (onMap(layer)) layer.redraw();
      });
      return result;
    };
    HD.colourBy._tiles = true;
  }
})();
