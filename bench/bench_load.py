"""Many users at once: N websocket clients against one app process, against the naive baseline
(bench/baseline_app.py) in the same run.

Run: ``.venv/bin/python bench/bench_load.py [--clients 20,50] [--clicks 2]``. Not a test;
prints figures (issue 14's targets: server CPU per click ≤ 20 ms; 50 clients clicking, median
click latency ≤ 1 s).

Each client is what a browser tab does on the wire, without drawing anything: it fetches the
page, opens Streamlit's websocket (``/_stcore/stream``), asks for the first run (the page load),
then clicks features on the map, sending what a click in the browser sends:

- **our app**: the map component (components v2, ``hedong_geo/ui_map.py``) answers the click in
  the browser, then calls ``setStateValue("feature", id)``; Streamlit's frontend sends that as
  a ``rerun_script`` whose widget states hold the component's whole state as JSON
  (``{"feature": id}`` under the component's element id) and whose ``fragment_id`` is the
  fragment the component is in (``map_and_panel`` in app.py): only that fragment runs. Both
  ids are read from the first run's ``delta`` messages (the ``bidi_component`` element and its
  delta's ``fragment_id``);
- **the naive app**: streamlit-folium's value (``last_active_drawing`` with the feature's id)
  in a rerun of the whole script.

All N clients load together, then all click together; every interaction is timed from the
request to the server's ``script_finished``. A round stops by itself after ``--deadline``
seconds (clients not done by then count as errors), so the whole bench stays bounded.

The table: per server and number of clients, the median and 95th percentile latency of the
page loads and of the clicks, the server's CPU (from /proc, all its threads) per page load and
per click, and errors (exception elements, websocket failures, runs not finished in time, a
click whose run did not carry the feature: our component's data, the naive app's panel).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import benchkit
from benchkit import APP, MAP_COMPONENT, ROOT, cpu_seconds, quantile, ratio, verdict
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

FEATURES = ("park.quadrant.se", "station.zone.whole", "culture.wanda-plaza")
CPU_TARGET, LATENCY_TARGET = 0.020, 1.0


@dataclass
class Round:
    """What one round (N clients on one server) measured."""

    loads: list[float] = field(default_factory=list)
    clicks: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    load_cpu: float = 0.0
    click_cpu: float = 0.0
    wall: float = 0.0


def _rerun(widgets: list[WidgetState] = (), fragment_id: str = "") -> bytes:
    msg = BackMsg()
    msg.rerun_script.query_string = ""
    msg.rerun_script.page_script_hash = ""
    msg.rerun_script.widget_states.widgets.extend(widgets)
    if fragment_id:
        msg.rerun_script.fragment_id = fragment_id
    return msg.SerializeToString()


class Client:
    """One browser tab on the wire."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.map_id: str | None = None
        self.fragment_id = ""  # our map's fragment (the naive app has none)
        self.ours = False
        self.shown: str | None = None  # the feature the last run's map or panel carried

    def _element(self, msg: ForwardMsg, errors: list[str]) -> None:
        element = msg.delta.new_element
        which = element.WhichOneof("type")
        if which == "bidi_component" and MAP_COMPONENT in element.bidi_component.component_name:
            self.ours, self.map_id = True, element.bidi_component.id
            self.fragment_id = msg.delta.fragment_id
            self.shown = (json.loads(element.bidi_component.json or "{}") or {}).get("feature")
        elif (
            which == "component_instance" and "folium" in element.component_instance.component_name
        ):
            self.map_id = element.component_instance.id
        elif which == "html" and 'class="hd-name"' in element.html.body:
            self.shown = element.html.body  # the naive app's panel
        elif which == "exception":
            errors.append(f"exception: {element.exception.message[:80]}")

    async def run(self, request: bytes) -> list[str]:
        """Send one rerun request; read until the run finishes; the errors it showed."""
        await self.ws.send(request)
        self.shown = None
        errors: list[str] = []
        while True:
            msg = ForwardMsg()
            msg.ParseFromString(await self.ws.recv())
            kind = msg.WhichOneof("type")
            if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                self._element(msg, errors)
            elif kind == "script_finished":
                if msg.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    errors.append("compile error")
                return errors

    def click(self, feature_id: str) -> bytes:
        """The rerun request a click on ``feature_id`` makes in the browser."""
        if self.ours:
            value = {"feature": feature_id}
        else:
            value = {"last_active_drawing": {"type": "Feature", "properties": {"id": feature_id}}}
        widget = WidgetState(id=self.map_id, json_value=json.dumps(value))
        return _rerun([widget], self.fragment_id)

    def carried(self, feature_id: str, name: str) -> bool:
        """Whether the last run showed ``feature_id``: our map's data names it, the naive
        panel shows its name."""
        if self.ours:
            return self.shown == feature_id
        return self.shown is not None and name in self.shown


async def load(url: str, result: Round, connect) -> Client | None:
    """Fetch the page, open the websocket, run the script once: one client's page load."""
    start = time.perf_counter()
    await asyncio.to_thread(lambda: urllib.request.urlopen(url, timeout=60).read())
    ws_url = url.replace("http://", "ws://") + "_stcore/stream"
    ws = await connect(ws_url, subprotocols=["streamlit"], max_size=None)
    client = Client(ws)
    result.errors += await client.run(_rerun())
    result.loads.append(time.perf_counter() - start)
    if client.map_id is None:
        result.errors.append("no map component in the first run")
        await ws.close()
        return None
    return client


async def clicks(client: Client, index: int, n: int, names: dict, result: Round) -> None:
    """``n`` clicks of one client, each timed until its run finished."""
    for i in range(n):
        fid = FEATURES[(index + i) % len(FEATURES)]
        t0 = time.perf_counter()
        result.errors += await client.run(client.click(fid))
        result.clicks.append(time.perf_counter() - t0)
        if not client.carried(fid, names[fid]):
            result.errors.append("a click's run did not carry the feature")


async def _bounded(tasks: list, deadline: float, result: Round) -> list:
    done, pending = await asyncio.wait(tasks, timeout=deadline)
    for task in pending:
        task.cancel()
        result.errors.append("not done by the deadline")
    if pending:
        await asyncio.wait(pending)
    out = []
    for task in done:
        if task.exception() is not None:
            exc = task.exception()
            result.errors.append(f"{type(exc).__name__}: {exc}")
        else:
            out.append(task.result())
    return out


async def one_round(
    url: str, pid: int, n: int, clicks_each: int, names: dict, deadline: float
) -> Round:
    """``n`` clients load the page together, then click together."""
    from websockets.asyncio.client import connect

    result = Round()
    cpu0, t0 = cpu_seconds(pid), time.perf_counter()
    tasks = [asyncio.create_task(load(url, result, connect)) for _ in range(n)]
    clients = [c for c in await _bounded(tasks, deadline, result) if c is not None]
    cpu1 = cpu_seconds(pid)
    tasks = [
        asyncio.create_task(clicks(c, i, clicks_each, names, result)) for i, c in enumerate(clients)
    ]
    await _bounded(tasks, deadline, result)
    result.load_cpu, result.click_cpu = cpu1 - cpu0, cpu_seconds(pid) - cpu1
    result.wall = time.perf_counter() - t0
    for client in clients:
        await client.ws.close()
    return result


def _ms(values: list[float], q: float) -> str:
    return f"{quantile(values, q) * 1000:.0f}" if values else "—"


def feature_names() -> dict[str, str]:
    """The Chinese name of each clicked feature (what the naive app's panel shows)."""
    from hedong_geo.layers import load_layers
    from hedong_geo.panel import feature_detail

    layers = load_layers()
    return {fid: feature_detail(layers, fid, "zh").name for fid in FEATURES}


def measure(counts: list[int], clicks: int, deadline: float) -> list[tuple[str, int, Round]]:
    """Every round on our app, then on the naive app (each after a warm-up round)."""
    names = feature_names()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        naive = benchkit.baseline_folder(Path(tmp), static=False)
        for name, script, cwd in (("ours", APP, ROOT), ("naive", naive, Path(tmp))):
            with benchkit.server(script, cwd) as srv:
                asyncio.run(one_round(srv.url, srv.pid, 1, 1, names, deadline))  # warm caches
                for n in counts:
                    result = asyncio.run(one_round(srv.url, srv.pid, n, clicks, names, deadline))
                    rows.append((name, n, result))
                    print(f"  {name} × {n}: done in {result.wall:.0f} s", flush=True)
    return rows


def report(rows: list[tuple[str, int, Round]]) -> None:
    """The table, the ratios to the naive app and the verdicts."""
    head = f"{'server':8}{'clients':>8}{'load med':>10}{'load p95':>10}{'click med':>11}"
    head += f"{'click p95':>11}{'CPU/load':>10}{'CPU/click':>11}{'clicks/s':>10}{'errors':>8}"
    print("\n" + head + "\n" + "-" * len(head))
    for name, n, r in rows:
        per_load = r.load_cpu / len(r.loads) if r.loads else float("nan")
        per_click = r.click_cpu / len(r.clicks) if r.clicks else float("nan")
        rate = len(r.clicks) / (r.wall or 1)
        print(
            f"{name:8}{n:>8}{_ms(r.loads, 0.5):>10}{_ms(r.loads, 0.95):>10}"
            f"{_ms(r.clicks, 0.5):>11}{_ms(r.clicks, 0.95):>11}{per_load * 1000:>10.0f}"
            f"{per_click * 1000:>11.1f}{rate:>10.1f}{len(r.errors):>8}"
        )
    print("latencies and CPU (the server's user+system time, all threads) in ms")
    by = {(name, n): r for name, n, r in rows}
    for (name, n), r in by.items():
        for error in sorted(set(r.errors))[:3]:
            print(f"  {name} × {n}: {error} ({r.errors.count(error)}×)")
    for n in sorted({n for _, n, _ in rows}):
        ours, naive = by.get(("ours", n)), by.get(("naive", n))
        if not (ours and naive):
            continue
        med = quantile(ours.clicks, 0.5)
        cpu = ours.click_cpu / len(ours.clicks) if ours.clicks else float("nan")
        naive_cpu = naive.click_cpu / len(naive.clicks) if naive.clicks else float("nan")
        print(
            f"{n} clients: click median {med * 1000:.0f} ms, "
            f"{ratio(med, quantile(naive.clicks, 0.5))} naive (target ≤ {LATENCY_TARGET:.0f} s: "
            f"{verdict(med <= LATENCY_TARGET)}); CPU per click {cpu * 1000:.1f} ms, "
            f"{ratio(cpu, naive_cpu)} naive (target ≤ {CPU_TARGET * 1000:.0f} ms: "
            f"{verdict(cpu <= CPU_TARGET)})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", default="20,50", help="comma-separated client counts")
    parser.add_argument("--clicks", type=int, default=2, help="clicks per client after the load")
    parser.add_argument("--deadline", type=float, default=90.0, help="seconds per phase at most")
    args = parser.parse_args()
    report(measure([int(n) for n in args.clients.split(",")], args.clicks, args.deadline))


if __name__ == "__main__":
    sys.exit(main())
