/* hedong-geo: large layers drawn from vector tiles on canvas (Leaflet 1.9), off the main thread.
 *
 * For hedong_geo/tiles.py: a layer of tens of thousands of features is cut once into Mapbox
 * Vector Tiles; this file draws them. Fetching, decoding and drawing happen in a Web Worker
 * (made from `engine` below as a blob: no extra file to serve) onto an OffscreenCanvas; the map
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

  /* ---- the engine: fetch, decode, draw, hit-test. Self-contained (it runs as a worker's
     source): it uses nothing from outside its own body. ---- */
  function engine(post) {
    var KEEP = 96; // decoded tiles kept (least recently used are dropped)
    var store = {}; // url -> Promise of a decoded tile
    var order = [];
    var look = { styles: {}, statuses: {}, colouring: "group" };
    var looks = {}; // "k|s" -> style
    var queue = [];
    var ahead = {}; // per layer, tiles of its next zoom in and out, decoded when nothing is drawn
    var aheadAsked = 0; // the last "ahead" message, answered with "aheadDone" once all are read
    var cancelled = {};
    var busy = false;
    var wantedId = null;
    var text = new TextDecoder();
    var stats = { tiles: 0, ahead: 0, onDemand: 0, decodeMs: 0, maps: 0, paintMs: 0, rasterMs: 0, worstMs: 0 };

    function varint(r) {
      var v = 0;
      var s = 1;
      var c;
      do {
        c = r.b[r.p++];
        v += (c & 127) * s;
        s *= 128;
      } while (c >= 128);
      return v;
    }
    function zigzag(n) {
      return n % 2 === 1 ? (n + 1) / -2 : n / 2;
    }
    function skip(r, wire) {
      if (wire === 0) varint(r);
      else if (wire === 1) r.p += 8;
      else if (wire === 2) r.p += varint(r);
      else if (wire === 5) r.p += 4;
      else throw new Error("MVT: unknown wire type " + wire);
    }
    function string(r) {
      var n = varint(r);
      var s = text.decode(r.b.subarray(r.p, r.p + n));
      r.p += n;
      return s;
    }
    function value(r, end) {
      var v = null;
      var view = new DataView(r.b.buffer, r.b.byteOffset);
      while (r.p < end) {
        var tag = varint(r);
        var field = tag >> 3;
        if (field === 1) v = string(r);
        else if (field === 2) (v = view.getFloat32(r.p, true)), (r.p += 4);
        else if (field === 3) (v = view.getFloat64(r.p, true)), (r.p += 8);
        else if (field === 4 || field === 5) v = varint(r);
        else if (field === 6) v = zigzag(varint(r));
        else if (field === 7) v = !!varint(r);
        else skip(r, tag & 7);
      }
      return v;
    }

    function geometry(r, end, t) {
      // Command stream -> rings of absolute tile units (a closed ring repeats its first vertex).
      var x = 0;
      var y = 0;
      var cmd = 0;
      var count = 0;
      var first = -1;
      while (r.p < end) {
        if (count <= 0) {
          var c = varint(r);
          cmd = c & 7;
          count = c >> 3;
          if (!count) continue;
        }
        count--;
        if (cmd === 1 || cmd === 2) {
          x += zigzag(varint(r));
          y += zigzag(varint(r));
          if (cmd === 1) {
            if (first >= 0) t.ends.push(t.xy.length);
            first = t.xy.length;
          }
          t.xy.push(x, y);
        } else if (cmd === 7 && first >= 0) t.xy.push(t.xy[first], t.xy[first + 1]);
      }
      if (first >= 0) t.ends.push(t.xy.length);
    }

    function decode(buffer, name, cover) {
      // One MVT layer as flat arrays: per feature its type, properties, box and ring range.
      var r = { b: new Uint8Array(buffer), p: 0 };
      var t = { type: [], props: [], box: [], rings: [0], ends: [], xy: [] };
      while (r.p < r.b.length) {
        var tag = varint(r);
        if (tag !== 26) {
          skip(r, tag & 7);
          continue;
        }
        var stop = varint(r) + r.p;
        var lname = "";
        var keys = [];
        var vals = [];
        var spans = []; // [start, end] of each feature
        while (r.p < stop) {
          var ltag = varint(r);
          if (ltag === 10) lname = string(r);
          else if (ltag === 18) {
            var len = varint(r);
            spans.push([r.p, r.p + len]);
            r.p += len;
          } else if (ltag === 26) keys.push(string(r));
          else if (ltag === 34) vals.push(value(r, varint(r) + r.p));
          else skip(r, ltag & 7);
        }
        // The dissolved small areas (the layer `cover`) come first: drawn under.
        if (lname === name || lname === cover) {
          spans.forEach(function (span) {
            feature(r, span[0], span[1], keys, vals, t, lname !== name);
          });
        }
        r.p = stop;
      }
      return finish(t);
    }

    function feature(r, start, end, keys, vals, t, cover) {
      r.p = start;
      var props = cover ? { cover: true } : {};
      var type = 0;
      while (r.p < end) {
        var tag = varint(r);
        if (tag === 18) {
          var e = varint(r) + r.p;
          while (r.p < e) props[keys[varint(r)]] = vals[varint(r)];
        } else if (tag === 24) type = varint(r);
        else if (tag === 34) {
          var g = varint(r) + r.p;
          geometry(r, g, t);
          r.p = g;
        } else skip(r, tag & 7);
      }
      t.type.push(type);
      t.props.push(props);
      t.rings.push(t.ends.length);
    }

    function finish(t) {
      var n = t.type.length;
      var xy = new Int32Array(t.xy);
      var ends = new Uint32Array(t.ends);
      var box = new Int32Array(4 * n);
      for (var i = 0; i < n; i++) {
        var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
        var a = t.rings[i];
        var b = t.rings[i + 1];
        for (var k = a ? ends[a - 1] : 0, to = b ? ends[b - 1] : 0; k < to; k += 2) {
          if (xy[k] < x0) x0 = xy[k];
          if (xy[k] > x1) x1 = xy[k];
          if (xy[k + 1] < y0) y0 = xy[k + 1];
          if (xy[k + 1] > y1) y1 = xy[k + 1];
        }
        box[4 * i] = x0;
        box[4 * i + 1] = y0;
        box[4 * i + 2] = x1;
        box[4 * i + 3] = y1;
      }
      return { n: n, type: t.type, props: t.props, box: box, rings: t.rings, ends: ends, xy: xy };
    }

    function load(url) {
      var i = order.indexOf(url);
      if (i >= 0) order.splice(i, 1);
      order.push(url);
      if (!store[url]) {
        var parts = url.split("#");
        store[url] = fetch(parts[0])
          .then(function (r) {
            if (!r.ok) throw new Error("tile " + parts[0] + ": HTTP " + r.status);
            return r.arrayBuffer();
          })
          .then(function (buffer) {
            var t0 = performance.now();
            var tile = decode(buffer, parts[1], parts[3]);
            stats.tiles++;
            stats.decodeMs += performance.now() - t0;
            tile.url = url;
            tile.z = parseInt(parts[2], 10);
            store[url].tile = tile;
            if (wantedId) look4(wantedId, [tile]);
            return tile;
          });
        while (order.length > KEEP) delete store[order.shift()];
      }
      return store[url];
    }

    function styleOf(props) {
      // A coverage shape (many small areas of one style, dissolved) is filled as its areas
      // are, in the group's colour (it has no status), and outlined more faintly.
      var key = props.k + "|" + props.s + (props.cover ? "|cover" : "");
      if (looks[key]) return looks[key];
      var s = look.styles[props.k] || {};
      var colour = s.color || "#3388ff";
      if (look.colouring === "status" && look.statuses[props.s]) colour = look.statuses[props.s];
      var opacity = s.opacity == null ? 1 : s.opacity;
      looks[key] = {
        key: props.k + "|" + colour + (props.cover ? "|cover" : ""),
        color: colour,
        fillOpacity: s.fillOpacity == null ? 0.2 : s.fillOpacity,
        opacity: props.cover ? opacity / 2 : opacity,
        weight: s.weight == null ? 1 : s.weight,
        dash: s.dashArray ? String(s.dashArray).split(/[ ,]+/).map(Number) : [],
      };
      return looks[key];
    }

    function trace(ctx, t, i, at) {
      // Feature i's rings into the current path (no closePath: a ring repeats its first
      // vertex; closePath costs chromium time in proportion to the path's length).
      for (var r = t.rings[i]; r < t.rings[i + 1]; r++) {
        var k = r ? t.ends[r - 1] : 0;
        var end = t.ends[r];
        if (t.type[i] === 1) {
          for (; k < end; k += 2) {
            var px = t.xy[k] * at.scale + at.dx;
            var py = t.xy[k + 1] * at.scale + at.dy;
            ctx.moveTo(px + 3, py);
            ctx.arc(px, py, 3, 0, 2 * Math.PI);
          }
          continue;
        }
        ctx.moveTo(t.xy[k] * at.scale + at.dx, t.xy[k + 1] * at.scale + at.dy);
        for (k += 2; k < end; k += 2) ctx.lineTo(t.xy[k] * at.scale + at.dx, t.xy[k + 1] * at.scale + at.dy);
      }
    }

    function paint(ctx, t, at) {
      // Only the features whose box meets the canvas; one path per style, filled once and
      // stroked once.
      var pad = 8 / at.scale;
      var lo = -at.dx / at.scale - pad;
      var hiX = (at.size - at.dx) / at.scale + pad;
      var hiY = (at.size - at.dy) / at.scale + pad;
      var loY = -at.dy / at.scale - pad;
      var batches = {};
      var keys = [];
      for (var i = 0; i < t.n; i++) {
        var b = t.box;
        if (b[4 * i + 2] < lo || b[4 * i] > hiX || b[4 * i + 3] < loY || b[4 * i + 1] > hiY) continue;
        var style = styleOf(t.props[i]);
        if (!batches[style.key]) (batches[style.key] = { style: style, list: [] }), keys.push(style.key);
        batches[style.key].list.push(i);
      }
      keys.forEach(function (key) {
        var batch = batches[key];
        var s = batch.style;
        ctx.beginPath();
        batch.list.forEach(function (i) {
          trace(ctx, t, i, at);
        });
        if (t.type[batch.list[0]] !== 2) {
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

    function draw(job, tiles) {
      var size = TILE_SIZE * job.ratio;
      var canvas = typeof OffscreenCanvas !== "undefined" ? new OffscreenCanvas(size, size) : document.createElement("canvas");
      canvas.width = canvas.height = size;
      var ctx = canvas.getContext("2d");
      var t0 = performance.now();
      ctx.scale(job.ratio, job.ratio);
      tiles.forEach(function (t, i) {
        var at = job.parts[i];
        paint(ctx, t, { scale: at.scale, dx: at.dx, dy: at.dy, size: TILE_SIZE });
      });
      var t1 = performance.now();
      if (canvas.transferToImageBitmap) {
        var bitmap = canvas.transferToImageBitmap();
        var t2 = performance.now();
        stats.maps++;
        stats.paintMs += t1 - t0;
        stats.rasterMs += t2 - t1;
        stats.worstMs = Math.max(stats.worstMs, t2 - t0);
        post({ id: job.id, bitmap: bitmap }, [bitmap]);
      } else post({ id: job.id, canvas: canvas });
    }
    var TILE_SIZE = 256;

    function pump() {
      // One map tile per task, in the order asked, skipping those cancelled meanwhile; with
      // nothing to draw, one tile of the next zooms decoded ahead (see "ahead").
      if (busy) return;
      var job = queue.shift();
      while (job && cancelled[job.id]) delete cancelled[job.id], (job = queue.shift());
      if (!job) return readAhead();
      busy = true;
      Promise.all(job.parts.map(function (p) { return p.url ? load(p.url) : { n: 0 }; }))
        .then(function (tiles) {
          if (!cancelled[job.id]) draw(job, tiles);
        })
        .catch(function (err) {
          post({ id: job.id, error: String(err && err.message) });
        })
        .then(function () {
          delete cancelled[job.id];
          busy = false;
          setTimeout(pump, 0);
        });
    }

    function readAhead() {
      // The next tile to decode ahead that is not decoded yet (one per task, as a draw is); once
      // none is left, the page is told so.
      var url = null;
      Object.keys(ahead).some(function (layer) {
        while (!url && ahead[layer].length) {
          url = ahead[layer].shift();
          if (store[url]) url = null;
        }
        return url;
      });
      if (!url) {
        if (aheadAsked) post({ aheadDone: aheadAsked });
        aheadAsked = 0;
        return;
      }
      busy = true;
      var done = function () {
        busy = false;
        setTimeout(pump, 0);
      };
      stats.ahead++;
      load(url).then(done, done);
    }

    function rings(t, i) {
      var out = [];
      for (var r = t.rings[i]; r < t.rings[i + 1]; r++) {
        var ring = [];
        for (var k = r ? t.ends[r - 1] : 0; k < t.ends[r]; k += 2) ring.push([t.xy[k], t.xy[k + 1]]);
        out.push(ring);
      }
      return out;
    }

    function inside(t, i, x, y) {
      var odd = false;
      for (var r = t.rings[i]; r < t.rings[i + 1]; r++) {
        var end = t.ends[r];
        var start = r ? t.ends[r - 1] : 0;
        for (var a = start, b = end - 2; a < end; b = a, a += 2) {
          var ay = t.xy[a + 1], by = t.xy[b + 1], ax = t.xy[a], bx = t.xy[b];
          if (ay > y !== by > y && x < ((bx - ax) * (y - ay)) / (by - ay) + ax) odd = !odd;
        }
      }
      return odd;
    }

    function near(t, i, x, y, tol) {
      for (var r = t.rings[i]; r < t.rings[i + 1]; r++) {
        var start = r ? t.ends[r - 1] : 0;
        for (var k = start; k < t.ends[r]; k += 2) {
          var ax = t.xy[k], ay = t.xy[k + 1];
          var bx = k + 2 < t.ends[r] && t.type[i] === 2 ? t.xy[k + 2] : ax;
          var by = k + 2 < t.ends[r] && t.type[i] === 2 ? t.xy[k + 3] : ay;
          var dx = bx - ax, dy = by - ay, len = dx * dx + dy * dy;
          var u = len ? Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / len)) : 0;
          var ex = ax + u * dx - x, ey = ay + u * dy - y;
          if (ex * ex + ey * ey <= tol * tol) return true;
        }
      }
      return false;
    }

    function hit(msg) {
      // The topmost feature at msg.x, msg.y (tile units) of msg.url's tile, boxes first.
      load(msg.url).then(function (t) {
        var x = msg.x, y = msg.y, tol = msg.tol;
        for (var i = t.n - 1; i >= 0; i--) {
          var b = t.box;
          if (t.props[i].cover) continue; // not a feature: the area of many
          if (x < b[4 * i] - tol || x > b[4 * i + 2] + tol || y < b[4 * i + 1] - tol || y > b[4 * i + 3] + tol) continue;
          if (t.type[i] === 3 ? inside(t, i, x, y) : near(t, i, x, y, tol)) {
            return post({ id: msg.id, feature: { type: t.type[i], properties: t.props[i], rings: rings(t, i) } });
          }
        }
        post({ id: msg.id, feature: null });
      }, function () { post({ id: msg.id, feature: null }); });
    }

    function look4(id, tiles) {
      // The deepest decoded tile holding feature `id`: posted as "found".
      var best = null;
      tiles.forEach(function (t) {
        if (best && best.z >= t.z) return;
        for (var i = 0; i < t.n; i++) {
          if (t.props[i].id === id) return (best = { z: t.z, url: t.url, feature: { type: t.type[i], properties: t.props[i], rings: rings(t, i) } });
        }
      });
      if (best) (wantedId = null), post({ found: id, url: best.url, feature: best.feature });
      return best;
    }

    return function receive(msg) {
      if (msg.op === "draw") {
        queue.push(msg);
        msg.parts.forEach(function (p) {
          if (p.url && !store[p.url]) stats.onDemand++;
          if (p.url) load(p.url);
        });
        pump();
      }
      else if (msg.op === "cancel") cancelled[msg.id] = true;
      else if (msg.op === "ahead") (ahead[msg.layer] = msg.urls.slice(0, KEEP / 2)), (aheadAsked = msg.seq), pump();
      else if (msg.op === "hit") hit(msg);
      else if (msg.op === "stats") post({ id: msg.id, stats: stats });
      else if (msg.op === "look") (look = msg), (looks = {});
      else if (msg.op === "find") {
        var tiles = Object.keys(store).map(function (u) { return store[u].tile; }).filter(Boolean);
        wantedId = look4(msg.fid, tiles) ? null : msg.fid;
      }
    };
  }

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
      var boot = "var receive = (" + engine.toString() + ")(function (m, t) { self.postMessage(m, t || []); });\n" + "self.onmessage = function (e) { receive(e.data); };";
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
      var receive = engine(function (m) {
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
