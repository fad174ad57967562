"""What a click costs the server in a real browser session: CPU, runs, messages and requests.

Run: ``.venv/bin/python bench/bench_server_cpu.py [--clicks 20] [--pyspy out.txt]``. Not a test;
prints figures (issue 14's target: server CPU per click ≤ 20 ms).

One app process, one chromium page. After the first map is drawn and Python has gone quiet,
the page clicks ``--clicks`` features in turn with the real mouse, each at a point where the
feature's shape is on top *in the first view* (no zoom: a zoom is a ``view`` rerun of its own,
measured apart), and each waited for until the run it starts has finished and the page has
been quiet for a moment. Then the same page zooms the map ``--zooms`` times (no click).

For each phase it prints the server's CPU (user+system, all threads, ``/proc``) per action,
the websocket messages both ways per action (BackMsg: reruns, whole or of a fragment, and which
component state they carry; ForwardMsg: by type, with bytes), and the HTTP requests the page
made (by kind: tiles, component files, map pages, other; Playwright reports a request the
browser's own cache answers too, e.g. ``favicon.png`` after each run's ``new_session``, which
never reaches the server). The idle phase gives the server's CPU while nothing happens (its
event loop's and config-file pollers' ticks, ≈ 4 ms per second): a click's share of it grows
with the time a click takes. With ``--pyspy FILE`` the clicks run under ``py-spy record --gil
--format raw`` (collapsed stacks of the thread holding the GIL, i.e. Python at work, one line
per stack, for ``grep`` or a flame graph); the CPU figures are then not comparable.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import benchkit
from benchkit import APP, ROOT, helpers
from playwright.sync_api import sync_playwright
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

CPU_TARGET = 0.020
QUIET = 0.6  # seconds with no message from the server: the page's work is done
# Zoom the map in or out one step, as the mouse wheel would (a ``view`` state once it rests).
# The first response of the panel data has come (it may say "pending": bench_app.py starts its
# clicks here).
PANELS_FETCHED = """() => performance.getEntriesByType("resource")
  .some((e) => e.name.includes("/panels-") && e.responseEnd > 0)"""
ZOOM = """(step) => { const map = HedongGeo.map; map.setZoom(map.getZoom() + step); }"""


@dataclass
class Wire:
    """Every websocket frame of the page both ways, with when it passed."""

    back: list[tuple[float, str, int]] = field(default_factory=list)  # (time, kind, bytes)
    forward: list[tuple[float, str, int]] = field(default_factory=list)
    requests: list[tuple[float, str]] = field(default_factory=list)  # (time, kind)

    def attach(self, page, server: str) -> None:
        """Listen to the page's websocket and its HTTP requests to ``server``."""
        page.on("websocket", self._socket)
        page.on("request", lambda r: self._request(r.url, server))

    def _socket(self, ws) -> None:
        ws.on("framesent", lambda payload: self._back(payload))
        ws.on("framereceived", lambda payload: self._forward(payload))

    def _request(self, url: str, server: str) -> None:
        if not url.startswith(server):
            return
        path = url[len(server) :]
        kind = "other: " + path.split("?")[0][:60]
        for prefix, name in (
            ("component/vtiles", "vector tiles"),
            ("component/hedong_geo.assets.pages", "map pages, panel data"),
            ("component/", "component files"),
            ("_stcore/bidi-components", "component files"),
            ("static/", "streamlit static"),
            ("_stcore/", "_stcore"),
        ):
            if path.startswith(prefix):
                kind = name
                break
        if "tiles" in path and kind.startswith("other"):
            kind = "basemap tiles"
        self.requests.append((time.perf_counter(), kind))

    def _back(self, payload: bytes | str) -> None:
        if isinstance(payload, str):
            return
        msg = BackMsg()
        msg.ParseFromString(payload)
        kind = msg.WhichOneof("type") or "?"
        if kind == "rerun_script":
            run = msg.rerun_script
            states = []
            for w in run.widget_states.widgets:
                if w.WhichOneof("value") == "json_value" and w.json_value.startswith("{"):
                    states.append("+".join(sorted(json.loads(w.json_value))))
            kind = f"rerun {'fragment' if run.fragment_id else 'WHOLE'}"
            kind += f" ({len(run.widget_states.widgets)} widgets; {', '.join(states)})"
        self.back.append((time.perf_counter(), kind, len(payload)))

    def _forward(self, payload: bytes | str) -> None:
        if isinstance(payload, str):
            return
        msg = ForwardMsg()
        msg.ParseFromString(payload)
        kind = msg.WhichOneof("type") or "?"
        if kind == "delta":
            delta = msg.delta
            sub = delta.WhichOneof("type")
            if sub == "new_element":
                sub = delta.new_element.WhichOneof("type")
                if sub == "bidi_component":
                    sub += ":" + delta.new_element.bidi_component.component_name
            kind = f"delta {sub}"
        self.forward.append((time.perf_counter(), kind, len(payload)))

    def last(self) -> float:
        """When the server last sent something (0 before anything)."""
        return self.forward[-1][0] if self.forward else 0.0


def quiet(wire: Wire, seconds: float = QUIET, timeout: float = 30.0) -> None:
    """Wait until the server has sent nothing for ``seconds``."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if time.perf_counter() - max(wire.last(), wire.requests[-1][0] if wire.requests else 0) > (
            seconds
        ):
            return
        time.sleep(0.05)


def thread_cpu(pid: int) -> dict[int, float]:
    """CPU seconds of each thread of process ``pid`` now (Linux ``/proc/<pid>/task``)."""
    out = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):  # ended meanwhile
            continue
        out[int(task.name)] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return out


@dataclass
class Phase:
    """What one phase (clicks, idle, zooms) cost: the process's CPU, and how it split between
    the main thread (the event loop: websocket, HTTP), the other threads that lived through
    the phase (Streamlit's file pollers, the app's pools) and the threads that ended in it
    (each script run has a thread of its own)."""

    name: str
    actions: int = 0
    cpu: float = 0.0
    start: float = 0.0
    end: float = 0.0
    threads: tuple[dict, dict] = ({}, {})

    def begin(self, pid: int) -> None:
        """Note the time and the CPU so far."""
        self.threads = (thread_cpu(pid), {})
        self.start, self.cpu = time.perf_counter(), benchkit.cpu_seconds(pid)

    def finish(self, pid: int) -> None:
        """Note the time and the CPU used since :meth:`begin`."""
        self.end, self.cpu = time.perf_counter(), benchkit.cpu_seconds(pid) - self.cpu
        self.threads = (self.threads[0], thread_cpu(pid))

    def split(self, pid: int) -> dict[str, float]:
        """CPU seconds of the main thread, the long-lived others, and the rest."""
        before, after = self.threads
        main = after.get(pid, 0.0) - before.get(pid, 0.0)
        others = sum(after[t] - before[t] for t in after if t in before and t != pid)
        return {
            "main thread": main,
            "other lasting threads": others,
            "threads ended or begun (script runs)": self.cpu - main - others,
        }


def summary(wire: Wire, phase: Phase, pid: int) -> None:
    """Print the phase's CPU per action, and its messages and requests per action."""
    n = phase.actions or 1
    inside = lambda t: phase.start <= t <= phase.end  # noqa: E731
    wall = max(phase.end - phase.start, 1e-9)
    print(
        f"\n== {phase.name}: {phase.actions}; server CPU per action {phase.cpu / n * 1000:.1f} ms"
        f" ({wall / n:.2f} s per action, {phase.cpu / wall * 1000:.1f} ms CPU per second)"
    )
    for label, seconds in phase.split(pid).items():
        print(f"  CPU        {seconds / n * 1000:6.1f} ms per action  {label}")
    back = Counter(k for t, k, _ in wire.back if inside(t))
    for kind, count in back.most_common():
        print(f"  BackMsg    {count / n:6.2f} per action  {kind}")
    fwd, size = Counter(), Counter()
    for t, k, b in wire.forward:
        if inside(t):
            fwd[k] += 1
            size[k] += b
    for kind, count in fwd.most_common():
        print(f"  ForwardMsg {count / n:6.2f} per action  {size[kind] / n:9.0f} B  {kind}")
    req = Counter(k for t, k in wire.requests if inside(t))
    for kind, count in req.most_common():
        print(f"  HTTP       {count / n:6.2f} per action  {kind}")


def clickable(frame, limit: int) -> list[tuple[str, tuple[float, float]]]:
    """Up to ``limit`` features with a point on top in the map's first view, and the point."""
    ids = frame.evaluate(
        "() => [...new Set(HedongGeo.entries.filter((e) => e.layer._map)"
        ".map((e) => e.f.properties.id))]"
    )
    found = []
    for fid in ids:
        try:
            found.append((fid, helpers.feature_point(frame, fid, zoom=False)))
        except LookupError:
            continue
        if len(found) >= limit:
            break
    return found


def run(clicks: int, zooms: int, pyspy: Path | None) -> None:
    """One server, one page: the clicks, then the zooms."""
    wire = Wire()
    with benchkit.server(APP, ROOT) as srv, sync_playwright() as p:
        browser = helpers.launch_chromium(p)
        with helpers.open_session(browser) as session:
            page = session.page
            wire.attach(page, srv.url)
            page.goto(srv.url)
            frame = helpers.map_frame(page, timeout=120_000)
            page.wait_for_function(PANELS_FETCHED)
            helpers.settle(page)
            after = Phase("after the first map: until the page is quiet (panel data written)", 1)
            after.begin(srv.pid)
            quiet(wire, 2.0)
            after.finish(srv.pid)
            targets = clickable(frame, clicks)
            spy = None
            if pyspy:
                spy = subprocess.Popen(
                    [
                        *(str(Path(sys.executable).parent / "py-spy"), "record"),
                        *("--pid", str(srv.pid), "--format", "raw", "--rate", "500"),
                        *("--output", str(pyspy), "--gil", "--nonblocking", "--threads"),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                time.sleep(1.0)
            phase = Phase(f"clicks (features on top in the first view, of {len(targets)})")
            phase.begin(srv.pid)
            for _fid, xy in targets:
                page.mouse.click(*xy)
                helpers.settle(page)
                quiet(wire)
                phase.actions += 1
            phase.finish(srv.pid)
            if spy:
                spy.send_signal(2)
                spy.wait(timeout=30)
            idle = Phase("idle (nothing done, as long as the clicks took)", actions=phase.actions)
            idle.begin(srv.pid)
            time.sleep(phase.end - phase.start)
            idle.finish(srv.pid)
            zoom = Phase("zooms (one step, no click)")
            zoom.begin(srv.pid)
            for i in range(zooms):
                frame.evaluate(ZOOM, 1 if i % 2 == 0 else -1)
                helpers.wait_until_still(frame)
                quiet(wire)
                zoom.actions += 1
            zoom.finish(srv.pid)
        browser.close()
    summary(wire, after, srv.pid)
    summary(wire, phase, srv.pid)
    summary(wire, idle, srv.pid)
    summary(wire, zoom, srv.pid)
    per = phase.cpu / (phase.actions or 1)
    above_idle = (phase.cpu - idle.cpu) / (phase.actions or 1)
    print(
        f"\nserver CPU per click {per * 1000:.1f} ms (target ≤ {CPU_TARGET * 1000:.0f}): "
        f"{benchkit.verdict(per <= CPU_TARGET)}; above the idle server's "
        f"{above_idle * 1000:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clicks", type=int, default=20, help="features clicked")
    parser.add_argument("--zooms", type=int, default=6, help="zoom steps after the clicks")
    parser.add_argument("--pyspy", type=Path, help="py-spy's raw stacks of the clicks to FILE")
    args = parser.parse_args()
    run(args.clicks, args.zooms, args.pyspy)


if __name__ == "__main__":
    sys.exit(main())
