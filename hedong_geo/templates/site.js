/* hedong-geo map page: a click on a feature, or #feature=<id> in the URL, opens its detail.
 *
 * Loaded after hedong.js and before the map script; it uses hedong.js's public API only
 * (HedongGeo.on, .select, .openAt). The details are HTML fragments pre-rendered and escaped in
 * Python (hedong_geo.panel.detail_html), read from #hd-data with the features' bounds.
 */
(function () {
  "use strict";

  var HD = window.HedongGeo;
  var data = null;

  function fromHash() {
    var m = /^#feature=(.+)$/.exec(location.hash);
    if (!m) return null;
    try {
      return decodeURIComponent(m[1]);
    } catch (e) {
      return m[1];
    }
  }

  function show(id, zoom) {
    var panel = document.getElementById("hd-detail");
    if (!Object.prototype.hasOwnProperty.call(data.details, id)) {
      var p = document.createElement("p");
      p.className = "hd-note";
      // A feature of a tiled layer (vectortiles.js): its names from the tile, no detail here.
      var f = HD.find ? HD.find(id) : null;
      if (f) {
        var names = [f.properties.name_zh, f.properties.name_en].filter(Boolean);
        p.textContent = (names.length ? names.join(" · ") + " (" + id + "). " : id + ". ") + data.text.tiled;
        panel.replaceChildren(p);
        panel.setAttribute("data-feature", id);
        HD.select(id);
        return;
      }
      p.textContent = data.text.unknown + " " + id;
      panel.replaceChildren(p);
      panel.removeAttribute("data-feature");
      HD.select(null);
      return;
    }
    panel.innerHTML = data.details[id]; // escaped in Python
    panel.setAttribute("data-feature", id);
    var bounds = zoom ? data.bounds[id] : null;
    HD.select(id, bounds ? { bounds: bounds } : null);
    document.getElementById("hd-panel").scrollTop = 0;
  }

  // The map script's first call, when #hd-data (just before it) is already parsed.
  HD.on("ready", function () {
    data = JSON.parse(document.getElementById("hd-data").textContent);
    var first = fromHash() || data.initial;
    if (first && data.bounds[first]) HD.openAt(data.bounds[first]);
  });

  HD.on("click", function (id) {
    show(id, false);
    // On a phone the panel is under the map: bring the detail into view.
    if (window.innerWidth <= 700) document.getElementById("hd-detail").scrollIntoView();
    try {
      history.replaceState(null, "", "#feature=" + encodeURIComponent(id));
    } catch (e) {
      /* some file:// setups refuse; the detail is shown anyway */
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var first = fromHash() || data.initial;
    if (first) show(first, false);
    window.addEventListener("hashchange", function () {
      var id = fromHash();
      if (id) show(id, true);
    });
  });
})();
