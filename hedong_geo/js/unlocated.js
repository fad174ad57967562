/* hedong-geo: what the map does not draw (loaded after hedong.js).
 *
 * L.Control.HdUnlocated({places, text}): a button "N 处尚未定位 / N places not yet located"
 * (places: [{id, n, z?, zn?}] from hedong_geo.mapdata.unlocated_places) that opens their list.
 * Choosing a place reports it as a click on the map would (HedongGeo.clicked: the panel shows
 * it) and selects it; a place the text ties to a zone (z, zn) is listed with its zone, and the
 * map highlights the zone (HedongGeo.select does that) and flies to it. Names are put in as
 * text (textContent), never as HTML.
 */
(function () {
  "use strict";

  var HD = window.HedongGeo;

  function zoneBounds(id) {
    var bounds = null;
    HD.entries.forEach(function (entry) {
      if (entry.f.properties.id === id && entry.layer._map && entry.layer.getBounds) bounds = entry.layer.getBounds();
    });
    return bounds;
  }

  function el(tag, className, parent, text) {
    var node = L.DomUtil.create(tag, className, parent);
    if (text != null) node.textContent = text;
    return node;
  }

  L.Control.HdUnlocated = L.Control.extend({
    options: { position: "topright", places: [], text: {} },

    onAdd: function (map) {
      var self = this;
      var t = this.options.text;
      var places = this.options.places;
      var box = L.DomUtil.create("div", "hd-unlocated leaflet-control");
      var toggle = el("button", "hd-unlocated-toggle hd-pill", box, t.count);
      toggle.type = "button";
      toggle.setAttribute("aria-expanded", "false");
      var panel = el("div", "hd-unlocated-panel hd-sheet", box);
      panel.hidden = true;
      panel.setAttribute("role", "dialog");
      panel.setAttribute("aria-label", t.title);
      var head = el("div", "hd-sheet-head", panel);
      el("h4", "", head, t.title + " (" + places.length + ")");
      var close = el("button", "hd-close", head, "×");
      close.type = "button";
      close.title = t.close;
      close.setAttribute("aria-label", t.close);
      el("p", "hd-sheet-hint", panel, t.hint);
      var list = el("ul", "hd-unlocated-list", panel);
      places.forEach(function (place) {
        var li = el("li", "", list);
        var b = el("button", "", li);
        b.type = "button";
        b.setAttribute("data-feature", place.id);
        el("b", "", b, place.n);
        if (place.z) el("small", "", b, t.zone.replace("{zone}", place.zn));
        L.DomEvent.on(b, "click", function () {
          self.choose(place);
        });
      });
      this._box = box;
      this._toggle = toggle;
      this._panel = panel;
      L.DomEvent.on(toggle, "click", function () {
        self.show(panel.hidden);
      });
      L.DomEvent.on(close, "click", function () {
        self.show(false);
      });
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      return box;
    },

    show: function (open) {
      this._panel.hidden = !open;
      this._toggle.setAttribute("aria-expanded", String(open));
      L.DomUtil[open ? "addClass" : "removeClass"](this._box, "hd-open");
    },

    choose: function (place) {
      this.show(false);
      HD.select(place.id);
      if (place.z) {
        var bounds = zoneBounds(place.z);
        if (bounds) HD.map.flyToBounds(bounds, { padding: [30, 30], maxZoom: 15, duration: 0.6 });
      }
      HD.clicked(place.id);
    },
  });
})();
