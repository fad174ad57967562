/* hedong-geo: the app's map component (Streamlit components v2; hedong_geo/ui_map.py).
 *
 * The map page (hedong_geo/mapview.py) runs in an iframe; the panel is this component's own.
 * A click on the map is answered here, from panel data the page fetched once: the panel is
 * filled, the address bar gets the feature (a new history entry), and only then is Python
 * told (setStateValue "feature"), for the URL's other parts, the related buttons and exports.
 * Python never re-sends the map: a rerun gives this function the same URLs, and the iframe,
 * its view, its layers and its selection stay as they are.
 *
 * data (from Python): page (map page URL), panels (panel data URL), feature (the selection
 * Python knows of), nonce (changes when Python itself chose a feature: the map flies to it),
 * colour ("group"/"status"), text (JSON of {label, hint, unknown, loading}).
 */

const panelCache = new Map(); // panel data URL → Promise of its JSON

/* The panel data is written while the first map is drawn (hedong_geo.mapview.start_panel_data):
   until it is there the file says {"pending": true}, and it is fetched again. */
function fetchPanels(url, tries) {
  return fetch(url, { cache: "no-store" })
    .then((r) => {
      if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
      return r.json();
    })
    .then((json) => {
      if (!json.pending || tries <= 0) return json;
      return new Promise((ok) => setTimeout(ok, 250)).then(() => fetchPanels(url, tries - 1));
    });
}

function loadPanels(url) {
  if (!panelCache.has(url)) panelCache.set(url, fetchPanels(url, 480));
  return panelCache.get(url);
}

function post(frame, msg) {
  msg.hd = 1;
  if (frame.contentWindow) frame.contentWindow.postMessage(msg, location.origin);
}

/* The address bar: the feature is a view of its own (pushState); the map's position is not
   (replaceState), so Back steps through features and views, never through pans. */
function setParam(name, value, push) {
  const url = new URL(location.href);
  if (value == null) url.searchParams.delete(name);
  else url.searchParams.set(name, value);
  if (name === "feature") url.searchParams.set("view", "map");
  if (url.href === location.href) return;
  if (push) history.pushState(history.state, "", url.href);
  else history.replaceState(history.state, "", url.href);
}

function afterPaint(fn) {
  requestAnimationFrame(() => setTimeout(fn, 0));
}

/* What follows a click without being seen (the address bar, telling Python: a React update and
   a websocket message, ≈ 15 ms of this thread): once the panel's frame is on screen, when the
   page is idle, so that it delays neither that frame nor the next. */
function whenIdle(fn) {
  afterPaint(() => {
    if (window.requestIdleCallback) requestIdleCallback(fn, { timeout: 250 });
    else setTimeout(fn, 0);
  });
}

/* Back at the top for a new feature. Set before the new content goes in, and only when the
   panel was scrolled (noted by its scroll events): reading or setting scrollTop once the
   content has changed would lay the whole page out at once, in the click's task. */
function toTop(st) {
  if (!st.scrolled) return;
  st.panel.scrollTop = 0;
  st.scrolled = false;
}

function atParam() {
  return new URL(location.href).searchParams.get("at");
}

function show(st, id, fly) {
  const panel = st.panel;
  if (!st.data) {
    st.pending = [id, fly];
    if (id) {
      const p = document.createElement("p");
      p.className = "hd-mv-hint";
      p.textContent = st.text.loading;
      panel.replaceChildren(p);
    }
    return;
  }
  const html = id ? st.data.html[id] : null;
  if (html == null) panel.removeAttribute("data-feature");
  if (html === undefined) {
    panel.replaceChildren();
    const p = document.createElement("p");
    p.className = "hd-mv-note";
    p.textContent = `${st.text.unknown} ${id}`;
    panel.appendChild(p);
  } else if (html === null) {
    panel.replaceChildren();
    const p = document.createElement("p");
    p.className = "hd-mv-hint";
    p.textContent = st.text.hint;
    panel.appendChild(p);
  } else {
    toTop(st);
    panel.innerHTML = html; // made by a template with autoescape (hedong_geo/panel.py)
    panel.setAttribute("data-feature", id);
  }
  st.shown = id;
  if (!st.ready) {
    st.flyOnReady = fly; // the map is still loading: select once it listens
    return;
  }
  const target = id && !st.data.bounds[id] ? st.data.zone_of[id] : id;
  post(st.frame, {
    type: "select",
    id: target || null,
    bounds: fly && target ? st.data.bounds[target] || null : null,
  });
}

function onMessage(st, e) {
  const d = e.data;
  if (e.source !== st.frame.contentWindow || !d || d.hd !== 1) return;
  if (d.type === "click") {
    show(st, d.id, false);
    // The panel is painted first; on a phone (the panel under the map) the answer is then
    // brought into view; the address bar and Python follow when the page is idle.
    afterPaint(() => {
      if (st.root.clientWidth < 700) st.panel.scrollIntoView({ block: "start" });
    });
    whenIdle(() => {
      setParam("feature", d.id, true);
      st.setStateValue("feature", d.id);
    });
  } else if (d.type === "view") {
    setParam("at", `${d.lat},${d.lng},${d.zoom}`, false);
    // Python hears of the view once the map has rested (the print panel's "current view").
    clearTimeout(st.viewTimer);
    st.viewTimer = setTimeout(() => st.setStateValue("view", { bbox: d.bbox }), 600);
  } else if (d.type === "area") {
    // A measured area is a site the app can check ("what does the plan say here?").
    const ring = d.ring.concat([d.ring[0]]);
    st.setStateValue("area", { type: "Polygon", coordinates: [ring] });
  } else if (d.type === "ready") {
    st.ready = true;
    // From now on the map calls this page directly (js/bridge.js): a click is answered in the
    // task of the click itself, once the map's own handlers of that click have run (a
    // microtask: its tooltip measures itself, which would lay out the new panel twice).
    // The message is copied (it was made in the map's window).
    const source = e.source;
    try {
      source.hdHost = (msg) => {
        const data = structuredClone(msg);
        queueMicrotask(() => onMessage(st, { source, data }));
      };
    } catch (err) {
      // not the same origin after all: messages it is
    }
    post(st.frame, { type: "colour", mode: st.colour });
    if (st.shown && st.data) show(st, st.shown, st.flyOnReady);
  }
}

function onPanelClick(st, e) {
  // A step of the timeline or a figure links to its passage further down the panel: inside
  // the component's shadow root the browser would not find it, so it is scrolled to here.
  const inner = e.target.closest('a[href^="#"]');
  if (inner) {
    const there = st.panel.querySelector(`[id="${CSS.escape(inner.getAttribute("href").slice(1))}"]`);
    if (there) {
      e.preventDefault();
      there.scrollIntoView({ block: "start" });
    }
    return;
  }
  // A feature named in the panel (a member, a zone, a related place) opens here, flying to it.
  const a = e.target.closest("a[data-feature]");
  if (!a) return;
  e.preventDefault();
  const id = a.getAttribute("data-feature");
  show(st, id, true);
  whenIdle(() => {
    setParam("feature", id, true);
    st.setStateValue("feature", id);
  });
}

function pageSrc(page, feature, tour) {
  const at = atParam();
  const parts = tour ? ["tour=1"] : [];
  if (at) parts.push(`at=${at}`);
  if (feature) parts.push(`feature=${encodeURIComponent(feature)}`);
  return parts.length ? `${page}#${parts.join("&")}` : page;
}

export default function (component) {
  const { data, parentElement, setStateValue } = component;
  const root = parentElement.querySelector(".hd-mv");
  let st = root.hdState;
  if (!st) {
    st = root.hdState = {
      root,
      frame: root.querySelector("iframe"),
      panel: root.querySelector(".hd-mv-panel"),
      page: null,
      panels: null,
      data: null,
      shown: undefined,
      nonce: null,
      ready: false,
    };
    st.frame.setAttribute("title", JSON.parse(data.text).label);
    st.listener = (e) => onMessage(st, e);
    window.addEventListener("message", st.listener);
    st.panel.addEventListener("click", (e) => onPanelClick(st, e));
    st.panel.addEventListener("scroll", () => (st.scrolled = st.panel.scrollTop > 0), {
      passive: true,
    });
  }
  st.setStateValue = setStateValue;
  st.text = JSON.parse(data.text); // JSON text (hedong_geo/ui_map.py says why)
  if (st.colour !== data.colour) {
    st.colour = data.colour;
    if (st.ready) post(st.frame, { type: "colour", mode: st.colour });
  }
  if (st.panels !== data.panels) {
    st.panels = data.panels;
    loadPanels(data.panels).then((json) => {
      if (st.panels !== data.panels) return;
      st.data = json;
      const pending = st.pending;
      st.pending = null;
      if (pending) show(st, pending[0], pending[1]);
      else if (st.shown !== undefined) show(st, st.shown, false);
    });
  }
  const fly = data.nonce !== st.nonce && st.nonce !== null;
  if (data.feature !== st.shown || fly) {
    // A link opened on a feature flies to it, unless it also says where the map was.
    show(st, data.feature, fly || (st.shown === undefined && !atParam()));
  }
  st.nonce = data.nonce;
  if (st.page !== data.page) {
    // A new map (other filters, language or basemap): it opens where the old one was.
    st.page = data.page;
    st.ready = false;
    st.frame.src = pageSrc(data.page, data.feature, data.tour && !st.toured);
    st.toured = true; // a link's tour opens once, not again with each new map
  }
  return () => {};
}
