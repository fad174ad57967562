/* hedong-geo: large layers drawn from vector tiles on canvas (Leaflet 1.9), off the main thread.
 *
 * For hedong_geo/tiles.py: a layer of tens of thousands of features is cut once into Mapbox
 * Vector Tiles; this file draws them. Fetching, decoding and drawing happen in a Web Worker
 * (made from HedongGeo.tileEngine, js/tileengine.js, as a blob) onto an OffscreenCanvas; the map
 * tile gets the finished ImageBitmap (a `bitmaprenderer` canvas: no copy), so a zoom or a pan
 * never waits for a polygon to be drawn. Where a browser has no Worker or OffscreenCanvas the
 * same engine runs in the page, one tile per task.
 *
 * Tiles exist for zooms minNativeZoom..maxNativeZoom; deeper zooms draw the deepest tile scaled
 * up (only its features that reach the map tile), shallower ones draw the shallowest tiles
 * scaled down. Below the deepest zoom a tile also has the layer opts.coverLayer (named by
 * tiles.py): the areas smaller than a few pixels there, dissolved per style, drawn under the
 * rest as their group's fill (a few shapes, not thousands of specks); a click still reaches
 * each of them, being hit-tested against the deepest tile. Only the tiles tiles.py listed are fetched;
 * a map tile dropped before it is drawn (a fast zoom or pan) is cancelled, so the worker never
 * draws what is no longer wanted.
 *
 * Styles come from HedongGeo's style table (properties.k, as for GeoJSON features) and the
 * status colours (properties.s) when the legend colours by status. A click is hit-tested by the
 * worker against the features of the deepest tile under it (fetched if need be: bounding boxes
 * first, then even-odd for areas) and reported through hedong.js as a click on any feature is: HedongGeo.clicked(feature)
 * → HedongGeo.on("click") listeners, and the feature is known to HedongGeo.select from then on.
 *
 *   HedongGeo.tiles(target, opts)   add a tiled layer to `target` (a FeatureGroup or the map);
 *       opts: url ({z}/{x}/{y}), layer (MVT layer name), coverLayer (the MVT layer of its
 *       dissolved small areas), minNativeZoom, maxNativeZoom, extent,
 *       bounds [[s, w], [n, e]], tiles {z: ["x/y", …]}, counts, interactive
 *   HedongGeo.tiledAt(latlng)       a Promise of the tiled feature at latlng (GeoJSON) or null
 *   HedongGeo.tilesLoading()        whether a tiled layer on the map is still loading tiles
 *   HedongGeo.tilesReadingAhead()   whether the tiles a zoom in or out from this view would
 *       draw are still being decoded (a tiled layer reads them ahead once its view is drawn)
 *   HedongGeo.tiledCounts()         features drawn by the tiled layers on the map per legend
 *       row ({"status:<s>": n, "group:<g>": n}, opts.counts)
 *   HedongGeo.tilesInWorker         whether the tiles are drawn in a worker (else in the page)
 */
(function () {
  "use strict";

  var HD = (window.HedongGeo = window.HedongGeo || {});
  var TILE = 256;
  var HIT_PX = 4; // how near a line or point a click must be, in pixels
  var SPARE = 48; // tile canvases kept for reuse (two views' worth)
  var layers = []; // every tiled layer made, for the click, the colouring and HD.find
  var found = {}; // id -> GeoJSON of tiled features clicked, or found by the worker for HD.find
  var wanted = null; // an id HD.select asked for before its tile was decoded
  var pending = {}; // request id -> callback of the worker's answer
  var next = 1;
  var send = null; // posts a message to the engine (set up on the first tiled layer)
  var sentLook = {};
  var aheadSeq = 0; // the last list of tiles to decode ahead sent to the engine
  var readingAhead = false; // whether the engine has not read all of it yet

  function start() {
    // The engine in a worker if the browser can draw off the main thread, else in the page.
    var answer = function (msg) {
      if (msg.found !== undefined) return foundOne(msg);
      if (msg.aheadDone !== undefined) return (readingAhead = readingAhead && msg.aheadDone !== aheadSeq);
      var cb = pending[msg.id];
      delete pending[msg.id];
      if (cb) cb(msg);
    };
    try {
      if (typeof Worker === "undefined" || typeof OffscreenCanvas === "undefined") throw new Error("no worker");
      var boot = "var receive = (" + HD.tileEngine.toString() + ")(function (m, t) { self.postMessage(m, t || []); });\n" + "self.onmessage = function (e) { receive(e.data); };";
      var worker = new Worker(URL.createObjectURL(new Blob([boot], { type: "text/javascript" })));
      worker.onmessage = function (e) {
        answer(e.data);
      };
      worker.onerror = function (e) {
        if (window.console) console.error("vectortiles worker: " + e.message);
      };
      HD.tilesInWorker = true;
      return function (msg) {
        worker.postMessage(msg);
      };
    } catch (err) {
      HD.tilesInWorker = false;
      var receive = HD.tileEngine(function (m) {
        setTimeout(answer, 0, m);
      });
      return function (msg) {
        setTimeout(receive, 0, msg);
      };
    }
  }

  function ask(msg, cb) {
    msg.id = next++;
    pending[msg.id] = cb;
    send(msg);
    return msg.id;
  }

  function sendLook() {
    var colouring = HD.colouring || "group";
    if (sentLook.styles === HD.styles && sentLook.statuses === HD.statuses && sentLook.colouring === colouring) return;
    sentLook = { styles: HD.styles, statuses: HD.statuses, colouring: colouring };
    send({ op: "look", styles: HD.styles || {}, statuses: HD.statuses || {}, colouring: colouring });
  }

  function foundOne(msg) {
    var layer = layers.filter(function (l) { return msg.url.indexOf(l.base) === 0; })[0];
    if (!layer || !layer._map) return;
    var zxy = msg.url.split("#")[2].split("/").map(Number);
    found[msg.found] = layer.toGeoJSON(msg.feature, zxy[0], zxy[1], zxy[2]);
    if (wanted === msg.found) {
      wanted = null;
      if (HD.select) HD.select(msg.found);
    }
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
      this.base = new URL(opts.url.split("{")[0], document.baseURI).href;
      this.have = {};
      var have = this.have;
      Object.keys(opts.tiles).forEach(function (z) {
        have[z] = {};
        opts.tiles[z].forEach(function (xy) {
          have[z][xy] = true;
        });
      });
      this.on("load", this.readAhead, this);
      this.spare = []; // tile canvases off the map, for the next tiles
      this.on("tileunload", function (e) {
        if (e.tile._hdJob && pending[e.tile._hdJob]) (delete pending[e.tile._hdJob]), send({ op: "cancel", id: e.tile._hdJob });
        if (this.spare.length < SPARE) this.spare.push(e.tile);
      });
    },

    // A tile is shown at once, not faded in: a fade restyles every tile of the layer at every
    // frame for a quarter of a second after a zoom, and a translucent tile costs the
    // compositor a layer of its own (software compositing here: long frames).
    _tileReady: function (coords, err, tile) {
      var map = this._map;
      var fade = map && map._fadeAnimated;
      if (map) map._fadeAnimated = false;
      try {
        L.GridLayer.prototype._tileReady.call(this, coords, err, tile);
      } finally {
        if (map) map._fadeAnimated = fade;
      }
    },

    // The new zoom's tiles are asked for a frame after the zoom starts: that frame already
    // restyles every element the zoom moves (a zoom in here: 30-odd new tiles on top). Not if
    // the zoom has ended by then (its end asks for them) or another has started.
    _animateZoom: function (e) {
      L.GridLayer.prototype._animateZoom.call(this, L.extend({}, e, { noUpdate: true }));
      var self = this;
      this._zoomAsked = e;
      HD.afterFrames(1, function () {
        if (self._map && self._map._animatingZoom && self._zoomAsked === e) self._setView(e.center, e.zoom, true, false);
      });
    },

    getEvents: function () {
      // A move drops what was to be decoded ahead of the view it leaves.
      var events = L.GridLayer.prototype.getEvents.call(this);
      events.movestart = function () {
        this.aheadOf([]);
      };
      return events;
    },

    onRemove: function (map) {
      this.aheadOf([]);
      L.GridLayer.prototype.onRemove.call(this, map);
    },

    readAhead: function () {
      // Once the view is drawn, the worker decodes (nothing more) the native tiles a zoom in
      // or out from here will draw, nearest the centre first: a zoom then only draws.
      var map = this._map;
      if (!map) return;
      var z = map.getZoom();
      var here = this.nativeZoom(z);
      var view = map.getPixelBounds();
      var mid = view.getCenter();
      var urls = [];
      var self = this;
      [z - 1, z + 1].forEach(function (to) {
        var nz = self.nativeZoom(to);
        if (nz === here || to < map.getMinZoom() || to > map.getMaxZoom()) return;
        var f = Math.pow(2, nz - z);
        var near = [];
        for (var x = Math.floor((view.min.x * f) / TILE); x <= Math.floor((view.max.x * f) / TILE); x++) {
          for (var y = Math.floor((view.min.y * f) / TILE); y <= Math.floor((view.max.y * f) / TILE); y++) {
            var url = self.urlOf(nz, x, y);
            var dx = (x + 0.5) * TILE - mid.x * f;
            var dy = (y + 0.5) * TILE - mid.y * f;
            if (url) near.push({ url: url, d: dx * dx + dy * dy });
          }
        }
        near.sort(function (a, b) { return a.d - b.d; });
        near.forEach(function (n) { urls.push(n.url); });
      });
      this.aheadOf(urls);
    },

    aheadOf: function (urls) {
      // Tells the engine what to decode ahead for this layer (replacing what it had).
      aheadSeq++;
      readingAhead = true;
      send({ op: "ahead", layer: this.base, urls: urls, seq: aheadSeq });
    },

    nativeZoom: function (z) {
      return Math.max(this.opts.minNativeZoom, Math.min(this.opts.maxNativeZoom, Math.round(z)));
    },

    urlOf: function (z, x, y) {
      // The native tile's absolute URL (a worker made from a blob has no base URL), with the
      // MVT layer's name, z/x/y and the coverage layer's name after "#"; "" for a tile that
      // does not exist.
      if (!(this.have[z] && this.have[z][x + "/" + y])) return "";
      var url = new URL(L.Util.template(this.opts.url, { z: z, x: x, y: y }), document.baseURI).href;
      return url + "#" + this.opts.layer + "#" + z + "/" + x + "/" + y + "#" + this.opts.coverLayer;
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
        return [{ url: this.urlOf(nz, sx, sy), scale: (TILE * n) / extent, dx: -(coords.x - sx * n) * TILE, dy: -(coords.y - sy * n) * TILE }];
      }
      var d = Math.pow(2, nz - z);
      var out = [];
      for (var i = 0; i < d; i++) {
        for (var j = 0; j < d; j++) {
          var url = this.urlOf(nz, coords.x * d + i, coords.y * d + j);
          if (url) out.push({ url: url, scale: TILE / d / extent, dx: (i * TILE) / d, dy: (j * TILE) / d });
        }
      }
      return out;
    },

    createTile: function (coords, done) {
      // A canvas of a tile gone, if any: a new canvas and its context took ≈ 2 ms each, for
      // the 20-odd tiles of the view after every zoom.
      var canvas = this.spare.pop() || document.createElement("canvas");
      L.DomUtil.removeClass(canvas, "leaflet-tile-loaded"); // hidden until drawn again
      var ratio = window.devicePixelRatio || 1;
      if (canvas.width !== TILE * ratio) canvas.width = canvas.height = TILE * ratio;
      sendLook();
      var parts = this.sources(coords);
      canvas._hdJob = ask({ op: "draw", parts: parts, ratio: ratio }, function (msg) {
        if (msg.error) return done(new Error(msg.error), canvas);
        if (msg.bitmap) canvas.getContext("bitmaprenderer").transferFromImageBitmap(msg.bitmap);
        else canvas.getContext("2d").drawImage(msg.canvas, 0, 0);
        done(null, canvas);
      });
      return canvas;
    },

    hitTest: function (latlng, cb) {
      // The topmost feature under latlng (cb(GeoJSON|null)), always from the deepest tile: the
      // most precise outline, and the only zoom whose features carry their names (tiles.py).
      var map = this._map;
      var nz = this.opts.maxNativeZoom;
      var p = map.project(latlng, nz);
      var x = Math.floor(p.x / TILE);
      var y = Math.floor(p.y / TILE);
      var url = this.urlOf(nz, x, y);
      if (!url) return cb(null);
      var unit = this.opts.extent / TILE;
      var tol = HIT_PX * unit * Math.pow(2, nz - map.getZoom());
      var self = this;
      ask({ op: "hit", url: url, x: (p.x - x * TILE) * unit, y: (p.y - y * TILE) * unit, tol: tol }, function (msg) {
        cb(msg.feature && self._map ? self.toGeoJSON(msg.feature, nz, x, y) : null);
      });
    },

    toGeoJSON: function (f, z, x, y) {
      // A tile feature as GeoJSON in longitude/latitude (to the tile's precision).
      var map = this._map;
      var unit = TILE / this.opts.extent;
      var rings = f.rings.map(function (r) {
        return r.map(function (q) {
          var at = map.unproject([x * TILE + q[0] * unit, y * TILE + q[1] * unit], z);
          return [at.lng, at.lat];
        });
      });
      var geometry;
      if (f.type === 3) geometry = { type: "MultiPolygon", coordinates: [rings] };
      else if (f.type === 2) geometry = { type: "MultiLineString", coordinates: rings };
      else geometry = { type: "MultiPoint", coordinates: [].concat.apply([], rings) };
      return { type: "Feature", properties: L.extend({}, f.properties), geometry: geometry };
    },
  });

  function onMap(layer) {
    return layer._map && layer._map.hasLayer(layer);
  }

  HD.tiledAt = function (latlng) {
    // The topmost interactive tiled layer's feature at latlng (a Promise of GeoJSON or null).
    var live = layers.filter(function (l) { return onMap(l) && l.opts.interactive; }).reverse();
    return live.reduce(function (prev, layer) {
      return prev.then(function (f) {
        return f || new Promise(function (resolve) { layer.hitTest(latlng, resolve); });
      });
    }, Promise.resolve(null));
  };

  // What the engine has done so far (tiles decoded: in all, read ahead, and on demand for a
  // map tile to draw; map tiles drawn; milliseconds): for bench/ and the tests.
  HD.tileStats = function () {
    return new Promise(function (resolve) {
      ask({ op: "stats" }, function (msg) {
        resolve(msg.stats);
      });
    });
  };

  HD.tiledCounts = function () {
    // How many features the tiled layers on the map draw per legend row (tiles.py's counts).
    var counts = {};
    layers.forEach(function (layer) {
      if (!onMap(layer)) return;
      Object.keys(layer.opts.counts || {}).forEach(function (key) {
        counts[key] = (counts[key] || 0) + layer.opts.counts[key];
      });
    });
    return counts;
  };

  HD.tilesLoading = function () {
    return layers.some(function (layer) {
      return onMap(layer) && layer.isLoading();
    });
  };

  HD.tilesReadingAhead = function () {
    return readingAhead && layers.some(onMap);
  };

  // hedong.js asks here for a feature it did not draw (HedongGeo.highlight). Null at first: the
  // worker looks through its decoded tiles (and those it decodes later) and HD.select is called
  // again when the feature is found.
  HD.find = function (id) {
    if (found[id]) return found[id];
    if (layers.length) {
      wanted = id;
      send({ op: "find", fid: id });
    }
    return null;
  };

  function listen(map) {
    if (map._hdTiledClick) return;
    map._hdTiledClick = true;
    map.on("click", function (e) {
      // A click on a drawn feature (or while measuring) is not a click on the tiles under it.
      if (e.originalEvent && e.originalEvent._hdOnShape) return;
      if (L.DomUtil.hasClass(map.getContainer(), "hd-measuring")) return;
      HD.tiledAt(e.latlng).then(function (f) {
        if (!f) return;
        found[f.properties.id] = f; // for HD.find: the panel and the selection ask for it next
        if (HD.clicked) HD.clicked(f);
      });
    });
  }

  HD.tiles = function (target, opts) {
    var map = HD.map || target._map || target;
    if (!send) send = start();
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
      if (send) sendLook();
      layers.forEach(function (layer) {
        if (onMap(layer)) layer.redraw();
      });
      return result;
    };
    HD.colourBy._tiles = true;
  }
})();
