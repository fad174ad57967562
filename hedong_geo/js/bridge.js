/* hedong-geo map page inside the app: talks to the page around it (hedong_geo/js/mapview.js).
 *
 * Loaded after hedong.js, only on pages made with build_map(embed=True). Messages go to the
 * parent window of the same origin only, as {hd: 1, type, ...} (a direct call of window.hdHost
 * when the parent has set it, else a postMessage):
 *   out: {type: "click", id}               a feature was clicked
 *        {type: "view", lat, lng, zoom, bbox}  the map moved (after the move ends); bbox is
 *                                           [west, south, east, north] of what is shown
 *        {type: "area", ring}               an area was measured: [[lng, lat], …] in WGS84
 *        {type: "ready"}                    the map is drawn and listens
 *   in:  {type: "select", id, bounds}       highlight a feature (null: none); fly to bounds
 *        {type: "view", lat, lng, zoom}     show this view
 *        {type: "colour", mode}             colour by "group" or "status"
 * The opening view comes from the page's hash, #at=lat,lng,zoom (the app's link), else the
 * map's own opening fit. #tour=1 (alone or as &tour=1) opens the guided tour once the page has
 * loaded (tour.js reads it, for the static site too); the tour reports each step's feature as
 * a click, so the panel around the map follows it.
 */
(function () {
  "use strict";

  var HD = window.HedongGeo;

  // The page around the map (js/mapview.js) gives this window a direct line (window.hdHost)
  // once the map is ready: the same origin, so a click is answered in the same task, with no
  // message to queue behind the map's next frame. Without it, a message.
  function post(msg) {
    msg.hd = 1;
    if (typeof window.hdHost === "function") {
      try {
        window.hdHost(msg);
      } catch (err) {
        setTimeout(function () {
          throw err; // reported, without stopping what this page does after the call
        }, 0);
      }
    } else if (window.parent !== window) window.parent.postMessage(msg, location.origin);
  }

  function hashView() {
    var m = /(?:^#|&)at=(-?[\d.]+),(-?[\d.]+),(\d+)/.exec(location.hash);
    return m ? { lat: +m[1], lng: +m[2], zoom: +m[3] } : null;
  }

  // Called by webmap.py's _Embed element, after the map is set up and before layers are drawn.
  HD.embed = function (map, opts) {
    // On a touch screen one finger scrolls the page; two move the map (the plugin's hint).
    var coarse = window.matchMedia && window.matchMedia("(pointer: coarse)").matches;
    if (coarse && map.gestureHandling) {
      map.options.gestureHandlingOptions = { text: opts.gesture, duration: 1200 };
      map.gestureHandling.enable();
    }
    // A link's view (#at=…) replaces the map's opening fit, which comes at the end of the page.
    var v = hashView();
    if (v) {
      var fit = HD.fit;
      HD.fit = function (m) {
        m.setView([v.lat, v.lng], v.zoom, { animate: false });
        HD.fit = fit;
      };
    }
    map.on("moveend", function () {
      var c = map.getCenter();
      var b = map.getBounds();
      var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) {
        return +v.toFixed(5);
      });
      post({
        type: "view",
        lat: +c.lat.toFixed(5),
        lng: +c.lng.toFixed(5),
        zoom: map.getZoom(),
        bbox: bbox,
      });
    });
  };

  HD.on("click", function (id) {
    post({ type: "click", id: id });
  });

  HD.on("area", function (ring) {
    post({ type: "area", ring: ring });
  });

  window.addEventListener("message", function (e) {
    var d = e.data;
    if (e.origin !== location.origin || !d || d.hd !== 1 || !HD.map) return;
    if (d.type === "select") HD.select(d.id, d.bounds ? { bounds: d.bounds } : null);
    else if (d.type === "view") HD.map.setView([d.lat, d.lng], d.zoom);
    else if (d.type === "colour") HD.colourBy(d.mode);
  });

  window.addEventListener("load", function () {
    post({ type: "ready" });
  });
})();
