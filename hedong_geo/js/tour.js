/* hedong-geo: a guided tour of the plan's layout, 一站 · 一带 · 一园 · 多点 (after hedong.js).
 *
 * L.Control.HdTour({steps, text}): a "导览 / Tour" button; the tour is a card over the
 * bottom of the map, one step at a time (previous / next / close). Each step flies the map
 * to its feature, selects it and reports it as a click (HedongGeo.clicked: the panel around
 * the map shows it). steps (hedong_geo.tour.tour_steps): [{id, bounds, title, text, quote,
 * source}]; every text is put in with textContent. The tour opens by itself when the page's
 * hash has tour=1 (#tour=1, or #at=…&tour=1), once the page has loaded.
 */
(function () {
  "use strict";

  var HD = window.HedongGeo;

  function el(tag, className, parent, text) {
    var node = L.DomUtil.create(tag, className, parent);
    if (text != null) node.textContent = text;
    return node;
  }

  function button(parent, className, label) {
    var b = el("button", className, parent, label);
    b.type = "button";
    return b;
  }

  HD.hashHasTour = function () {
    return /(?:^#|&)tour=1(?:&|$)/.test(location.hash);
  };

  L.Control.HdTour = L.Control.extend({
    options: { position: "topright", steps: [], text: {} },

    onAdd: function (map) {
      var self = this;
      var t = this.options.text;
      var box = L.DomUtil.create("div", "hd-tour leaflet-control");
      var start = button(box, "hd-tour-start hd-pill", t.tour);
      start.title = t.label;
      start.setAttribute("aria-label", t.label);
      L.DomEvent.on(start, "click", function () {
        self.open(0);
      });
      this._card = this._makeCard(map.getContainer(), t);
      L.DomEvent.disableClickPropagation(box);
      HD.tour = this;
      window.addEventListener("load", function () {
        // After every other load handler (the app's opening view among them).
        if (HD.hashHasTour()) setTimeout(function () {
          self.open(0);
        }, 0);
      });
      return box;
    },

    _makeCard: function (container, t) {
      var self = this;
      var card = el("section", "hd-tour-card", container);
      card.hidden = true;
      card.setAttribute("role", "dialog");
      card.setAttribute("aria-label", t.label);
      var head = el("div", "hd-sheet-head", card);
      this._count = el("span", "hd-tour-count", head);
      var close = button(head, "hd-close", "×");
      close.title = t.close;
      close.setAttribute("aria-label", t.close);
      this._title = el("h4", "", card);
      this._text = el("p", "hd-tour-text", card);
      var quote = el("figure", "hd-tour-quote", card);
      el("figcaption", "", quote, t.quote);
      this._quote = el("blockquote", "", quote);
      this._source = el("small", "hd-tour-source", quote);
      var nav = el("div", "hd-tour-nav", card);
      this._prev = button(nav, "hd-tour-prev", t.prev);
      this._next = button(nav, "hd-tour-next", t.next);
      L.DomEvent.on(close, "click", function () {
        self.close();
      });
      L.DomEvent.on(this._prev, "click", function () {
        self.open(self._at - 1);
      });
      L.DomEvent.on(this._next, "click", function () {
        if (self._at + 1 < self.options.steps.length) self.open(self._at + 1);
        else self.close();
      });
      L.DomEvent.disableClickPropagation(card);
      L.DomEvent.disableScrollPropagation(card);
      return card;
    },

    open: function (i) {
      var steps = this.options.steps;
      var t = this.options.text;
      if (i < 0 || i >= steps.length) return;
      var step = steps[i];
      this._at = i;
      this._card.hidden = false;
      this._card.setAttribute("data-step", String(i));
      this._count.textContent = t.step.replace("{i}", i + 1).replace("{n}", steps.length);
      this._title.textContent = step.title;
      this._text.textContent = step.text;
      this._quote.textContent = step.quote;
      this._quote.setAttribute("lang", "zh-CN");
      this._source.textContent = step.source;
      this._prev.disabled = i === 0;
      this._next.textContent = i + 1 < steps.length ? t.next : t.done;
      this._fly(step);
      HD.select(step.id);
      HD.clicked(step.id);
    },

    _fly: function (step) {
      var map = HD.map;
      // Keep the feature clear of the card, which covers the bottom of the map.
      var cover = Math.min(this._card.offsetHeight, map.getSize().y * 0.6);
      var card = this._card;
      // data-flying until the flight ends: a page (or a test) can wait for the map to rest.
      card.setAttribute("data-flying", "1");
      map.once("moveend", function () {
        card.removeAttribute("data-flying");
      });
      map.flyToBounds(step.bounds, {
        paddingTopLeft: [30, 30],
        paddingBottomRight: [30, 20 + cover],
        maxZoom: 15,
        duration: 0.8,
      });
    },

    close: function () {
      this._card.hidden = true;
      this._at = -1;
    },
  });
})();
