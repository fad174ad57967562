/* hedong-geo map page: a click on a feature, or #feature=<id> in the URL, opens its detail.
 *
 * Loaded after hedong.js and before the map script: it wraps HedongGeo.layer to index every
 * clickable feature by id (in shown and hidden layers alike). The details are HTML fragments
 * pre-rendered and escaped in Python (hedong_geo/publish.py), read from #hd-data.
 */
(function () {
  "use strict";

  var HD = window.HedongGeo;
  var byId = {};
  var data = null;
  var map = null;
  var shown = null;

  var layer = HD.layer;
  HD.layer = function (target, fc, opts) {
    var out = layer.apply(this, arguments);
    if (opts && opts.interactive === false) return out;
    target.eachLayer(function (l) {
      var id = l.feature && l.feature.properties && l.feature.properties.id;
      if (id && !byId[id]) {
        byId[id] = l;
        l.on("click", function () {
          select(id, false);
          // On a phone the panel is under the map: bring the detail into view.
          if (window.innerWidth <= 700) document.getElementById("hd-detail").scrollIntoView();
          try {
            history.replaceState(null, "", "#feature=" + encodeURIComponent(id));
          } catch (e) {
            /* some file:// setups refuse; the detail is shown anyway */
          }
        });
      }
    });
    return out;
  };

  function highlight(id, zoom) {
    if (shown) {
      map.removeLayer(shown);
      shown = null;
    }
    var l = byId[id];
    var style = data.selected;
    if (l) {
      shown = L.geoJSON(l.toGeoJSON(), {
        pane: "hdSelected",
        interactive: false,
        style: function () {
          return style;
        },
        pointToLayer: function (f, latlng) {
          return L.circleMarker(latlng, L.extend({}, style, { radius: 9 }));
        },
      }).addTo(map);
    }
    var bounds = data.bounds[id];
    if (zoom && bounds) map.fitBounds(bounds, { padding: [20, 20], maxZoom: 17 });
  }

  function select(id, zoom) {
    var panel = document.getElementById("hd-detail");
    if (!Object.prototype.hasOwnProperty.call(data.details, id)) {
      var p = document.createElement("p");
      p.className = "hd-note";
      p.textContent = data.text.unknown + " " + id;
      panel.replaceChildren(p);
      return;
    }
    panel.innerHTML = data.details[id]; // escaped in Python
    panel.setAttribute("data-feature", id);
    highlight(id, zoom);
    document.getElementById("hd-panel").scrollTop = 0;
  }

  function fromHash() {
    var m = /^#feature=(.+)$/.exec(location.hash);
    if (!m) return null;
    try {
      return decodeURIComponent(m[1]);
    } catch (e) {
      return m[1];
    }
  }

  // Called first by the map script, when #hd-data (just before it) is already parsed.
  var setup = HD.setup;
  HD.setup = function (m) {
    setup.apply(this, arguments);
    map = m;
    data = JSON.parse(document.getElementById("hd-data").textContent);
    var first = fromHash() || data.initial;
    if (first && data.bounds[first]) {
      // The map script ends by fitting the district: open on the feature instead. (Fitting
      // later would be undone by that fit's zoom animation, still running.)
      m.fitBounds = function () {
        delete m.fitBounds;
        return m.fitBounds(data.bounds[first], { padding: [20, 20], maxZoom: 17 });
      };
    }
  };

  document.addEventListener("DOMContentLoaded", function () {
    HD.select = select;
    var first = fromHash() || data.initial;
    if (first) select(first, false);
    window.addEventListener("hashchange", function () {
      var id = fromHash();
      if (id) select(id, true);
    });
  });
})();
