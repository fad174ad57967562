/* hedong-geo tile basemaps: a message when the tiles fail, and GCJ-02 read back as WGS84.
 *
 * Written for hedong_geo/basemaps.py, which draws one tile source (and its labels) under the
 * offline basemap and calls
 *   HedongTiles.watch(map, [tileLayer, ...], {source, crs, failed_after, fills, text})
 * - When `failed_after` tiles have failed and fewer have loaded, a message on the map says the
 *   basemap could not be loaded (text.failed, "{name}" replaced by `source`), and the offline
 *   basemap gets its fill back (`fills`: fillOpacity by style key of the context layers). A
 *   later run of loaded tiles takes the message away and the fill off again.
 * - On GCJ-02 tiles (crs "gcj02") the data is drawn shifted; HedongGeo.toWgs84 is set so the
 *   mouse position and the measures (hedong.js) read WGS84.
 *
 *   HedongTiles.wgs84ToGcj02(latlng), HedongTiles.gcj02ToWgs84(latlng)  the public GCJ-02
 *   formula and its inverse by iteration (as hedong_geo/transform.py; error well under 1 cm).
 *
 * The message's text is set with textContent: nothing here reaches innerHTML.
 */
(function () {
  "use strict";

  var TILES = (window.HedongTiles = window.HedongTiles || {});

  /* ---- GCJ-02 (Krasovsky 1940 ellipsoid, the public formula) ---- */

  var A = 6378245.0;
  var EE = 0.00669342162296594323;

  function inChina(lng, lat) {
    return lng >= 72.004 && lng <= 137.8347 && lat >= 0.8293 && lat <= 55.8271;
  }

  function offset(lng, lat) {
    if (!inChina(lng, lat)) return [0, 0];
    var x = lng - 105.0;
    var y = lat - 35.0;
    var pi = Math.PI;
    var sx = Math.sqrt(Math.abs(x));
    var common = ((20.0 * Math.sin(6.0 * x * pi) + 20.0 * Math.sin(2.0 * x * pi)) * 2.0) / 3.0;
    var dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sx + common;
    dlat += ((20.0 * Math.sin(y * pi) + 40.0 * Math.sin((y / 3.0) * pi)) * 2.0) / 3.0;
    dlat += ((160.0 * Math.sin((y / 12.0) * pi) + 320.0 * Math.sin((y * pi) / 30.0)) * 2.0) / 3.0;
    var dlng = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sx + common;
    dlng += ((20.0 * Math.sin(x * pi) + 40.0 * Math.sin((x / 3.0) * pi)) * 2.0) / 3.0;
    dlng += ((150.0 * Math.sin((x / 12.0) * pi) + 300.0 * Math.sin((x / 30.0) * pi)) * 2.0) / 3.0;
    var rad = (lat / 180.0) * pi;
    var magic = 1.0 - EE * Math.sin(rad) * Math.sin(rad);
    var sqrtMagic = Math.sqrt(magic);
    dlat = (dlat * 180.0) / (((A * (1.0 - EE)) / (magic * sqrtMagic)) * pi);
    dlng = (dlng * 180.0) / ((A / sqrtMagic) * Math.cos(rad) * pi);
    return [dlng, dlat];
  }

  TILES.wgs84ToGcj02 = function (latlng) {
    var d = offset(latlng.lng, latlng.lat);
    return L.latLng(latlng.lat + d[1], latlng.lng + d[0]);
  };

  TILES.gcj02ToWgs84 = function (latlng) {
    // Fixed-point iteration: the shift changes by about 2 mm per metre, so each step cuts the
    // error about 500-fold (the classic one-step inverse stays about 1 m off).
    var lng = latlng.lng;
    var lat = latlng.lat;
    for (var i = 0; i < 30; i++) {
      var d = offset(lng, lat);
      var rx = latlng.lng - (lng + d[0]);
      var ry = latlng.lat - (lat + d[1]);
      if (Math.abs(rx) <= 1e-10 && Math.abs(ry) <= 1e-10) break;
      lng += rx;
      lat += ry;
    }
    return L.latLng(lat, lng);
  };

  /* ---- the message when the tiles fail ---- */

  L.Control.HdTileMessage = L.Control.extend({
    options: { position: "topright", text: "", close: "Close" },
    onAdd: function () {
      var box = L.DomUtil.create("div", "hd-tile-message leaflet-control");
      box.setAttribute("role", "status");
      box.setAttribute("aria-live", "polite");
      var words = L.DomUtil.create("span", "hd-tile-message-text", box);
      words.textContent = this.options.text;
      var close = L.DomUtil.create("button", "hd-tile-message-close", box);
      close.type = "button";
      close.textContent = "×";
      close.title = this.options.close;
      close.setAttribute("aria-label", this.options.close);
      var self = this;
      L.DomEvent.on(close, "click", function (e) {
        L.DomEvent.stop(e);
        self.dismissed = true;
        self.remove();
      });
      L.DomEvent.disableClickPropagation(box);
      return box;
    },
  });

  function restyle(map, fills, failing) {
    // The offline basemap as drawn with no tiles (its fills) while the tiles fail; outlines
    // only over tiles that load.
    map.eachLayer(function (layer) {
      var f = layer.feature;
      if (!f || !f.properties || typeof layer.setStyle !== "function") return;
      var key = f.properties.k;
      if (!(key in fills) || layer.options.pane !== "hdContext") return;
      layer.setStyle({ fillOpacity: failing ? fills[key] : 0 });
    });
  }

  TILES.watch = function (map, layers, opts) {
    if (opts.crs === "gcj02" && window.HedongGeo) {
      window.HedongGeo.toWgs84 = TILES.gcj02ToWgs84;
    }
    var state = { errors: 0, loaded: 0, failing: false };
    var text = (opts.text.failed || "").replace("{name}", opts.source || "");
    var message = new L.Control.HdTileMessage({ text: text, close: opts.text.close });
    var after = opts.failed_after || 3;
    TILES.state = state;
    TILES.message = message;

    function update() {
      var failing = state.errors >= after && state.errors > state.loaded;
      if (failing === state.failing) return;
      state.failing = failing;
      if (failing && !message.dismissed) message.addTo(map);
      if (!failing && message._map) message.remove();
      restyle(map, opts.fills || {}, failing);
    }

    layers.forEach(function (layer) {
      layer.on("tileerror", function () {
        state.errors += 1;
        update();
      });
      layer.on("tileload", function () {
        state.loaded += 1;
        update();
      });
    });
    return state;
  };
})();
