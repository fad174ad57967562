/* hedong-geo: the engine of the vector tiles (js/vectortiles.js): fetch, decode, draw, hit-test.
 *
 * Self-contained: it uses nothing from outside its own body, because vectortiles.js runs it
 * as a Web Worker's source (made from HedongGeo.tileEngine.toString() as a blob: no extra file
 * to serve), or in the page where a browser has no Worker or OffscreenCanvas.
 *
 *   HedongGeo.tileEngine(post)  an engine that answers through post(message, transfer);
 *       returns receive(message), which takes the page's messages:
 *       draw {id, parts, ratio}    a map tile from its native tiles' parts; answers {id, bitmap}
 *                                   (or {id, canvas} without OffscreenCanvas, {id, error})
 *       cancel {id}                a draw no longer wanted
 *       ahead {layer, urls, seq}   tiles to decode when nothing is to be drawn, replacing the
 *                                   layer's list; answers {aheadDone: seq} once all are read
 *       hit {id, url, x, y, tol}   the topmost feature there; answers {id, feature}
 *       look {styles, statuses, colouring}   how features are styled
 *       find {fid}                 a feature by id in the decoded tiles; answers {found, url,
 *                                   feature}, now or once a tile holding it is decoded
 *       stats {id}                 what it has done so far; answers {id, stats}
 */
(function () {
  "use strict";

  var HD = (window.HedongGeo = window.HedongGeo || {});

  HD.tileEngine = function engine(post) {
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
  };
})();
