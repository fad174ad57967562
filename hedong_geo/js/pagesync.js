/* hedong-geo: the address bar and the "copy link" button (hedong_geo/ui_page.py).
 *
 * Python says what the view is (data.query: the query string of hedong_geo.urlstate); this
 * makes the address bar say the same: a new history entry when the view changed (data.push),
 * else a replacement (a link's bad parameters dropped, Back or Forward arriving). The map's
 * position (at=…) is the map component's: kept as it is. The button copies the address bar,
 * an absolute URL; data.scroll names an element to bring into view (the reader's passage).
 */
function same(a, b) {
  const strip = (q) => {
    const p = new URLSearchParams(q);
    p.delete("at");
    p.sort();
    return p.toString();
  };
  return strip(a) === strip(b);
}

function sync(query, push) {
  if (same(location.search, query)) return;
  const url = new URL(location.href);
  const at = url.searchParams.get("at");
  const next = new URLSearchParams(query);
  if (at && next.get("view") === "map") next.set("at", at);
  url.search = next.toString();
  if (push) history.pushState(history.state, "", url.href);
  else history.replaceState(history.state, "", url.href);
}

function scrollTo(id, tries) {
  const el = document.getElementById(id);
  if (el) el.scrollIntoView({ block: "center" });
  else if (tries > 0) requestAnimationFrame(() => scrollTo(id, tries - 1));
}

/* After a pick in the sidebar (a search result, a "did you mean"), a phone's sidebar drawer
   covers the answer: close it and bring the map and panel into view. */
let lastPick = null;
function closeDrawer(pick) {
  const first = lastPick === null;
  if (pick === lastPick) return;
  lastPick = pick;
  if (first || window.innerWidth > 768) return;
  const close = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
  if (close && close.offsetParent !== null) close.click();
  const main = document.querySelector('[data-testid="stMain"]');
  if (main) main.scrollIntoView({ block: "start" });
}

export default function (component) {
  const { data, parentElement } = component;
  sync(data.query, data.push);
  closeDrawer(data.pick);
  const button = parentElement.querySelector("button.hd-copy");
  const note = parentElement.querySelector(".hd-copy-note");
  button.textContent = data.text.copy;
  button.onclick = () => {
    const done = () => (note.textContent = data.text.copied);
    const failed = () => (note.textContent = data.text.failed);
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(location.href).then(done, failed);
      return;
    }
    // Plain http on an intranet: no Clipboard API; the old way still works there.
    const box = document.createElement("textarea");
    box.value = location.href;
    box.setAttribute("readonly", "");
    box.style.position = "fixed";
    box.style.opacity = "0";
    document.body.appendChild(box);
    box.select();
    try {
      (document.execCommand("copy") ? done : failed)();
    } catch (e) {
      failed();
    } finally {
      box.remove();
    }
  };
  if (data.scroll) scrollTo(data.scroll, 120);
}
