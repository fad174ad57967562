"""Many users at once: N websocket clients against one app process, against the naive baseline
(bench/baseline_app.py) in the same run.

Run: ``.venv/bin/python bench/bench_load.py [--clients 20,50,100] [--clicks 2]``. Not a test.

Each client is what a browser tab does on the wire, without drawing anything: it fetches the
page, opens Streamlit's websocket (``/_stcore/stream``), asks for the first run (the page load),
then clicks features on the map: a rerun carrying the map component's value
(``last_active_drawing`` with a feature id), the message a click in the browser sends. Every
interaction is timed from the request to the server's ``script_finished``. All N clients start
together; a round stops by itself after ``--deadline`` seconds (clients not done by then count
as errors), so the whole bench stays bounded.

The table: per server and number of clients, the median and 95th percentile latency of the
page loads and of the clicks, the server's CPU seconds per script run (from /proc, all its
threads), and errors (exception elements, websocket failures, runs not finished in time, a
click whose run did not show the feature's detail panel).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout
sys.path.insert(0, str(ROOT / "tests"))

from conftest import free_port, stop, wait_for_health  # noqa: E402
from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402
from streamlit.proto.WidgetStates_pb2 import WidgetState  # noqa: E402

FEATURES = ("park.quadrant.se", "station.zone.whole", "culture.wanda-plaza")


@dataclass
class Round:
    """What one round (N clients on one server) measured."""

    loads: list[float] = field(default_factory=list)
    clicks: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    runs: int = 0
    cpu: float = 0.0
    wall: float = 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def server(script: Path, cwd: Path):
    """``streamlit run script`` on a free port on 127.0.0.1; yields (url, pid)."""
    port = free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port)]
    cmd += ["--server.address", "127.0.0.1", "--server.headless", "true"]
    cmd += ["--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("HEDONG_GEO_LAYERS_DIR", None)
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_for_health(url, proc)
        yield url, proc.pid
    finally:
        stop(proc)


def _rerun(widgets: list[WidgetState] = ()) -> bytes:
    msg = BackMsg()
    msg.rerun_script.query_string = ""
    msg.rerun_script.page_script_hash = ""
    msg.rerun_script.widget_states.widgets.extend(widgets)
    return msg.SerializeToString()


class Client:
    """One browser tab on the wire."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.map_id: str | None = None
        self.panel = False  # whether the last run showed a feature's detail panel

    async def run(self, request: bytes) -> list[str]:
        """Send one rerun request; read until the run finishes; the errors it showed."""
        await self.ws.send(request)
        self.panel = False
        errors = []
        while True:
            msg = ForwardMsg()
            msg.ParseFromString(await self.ws.recv())
            kind = msg.WhichOneof("type")
            if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                element = msg.delta.new_element
                which = element.WhichOneof("type")
                if (
                    which == "component_instance"
                    and "folium" in element.component_instance.component_name
                ):
                    self.map_id = element.component_instance.id
                elif which == "html" and 'class="hd-name"' in element.html.body:
                    self.panel = True
                elif which == "exception":
                    errors.append(f"exception: {element.exception.message[:80]}")
            elif kind == "script_finished":
                if msg.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    errors.append("compile error")
                return errors

    def click(self, feature_id: str) -> bytes:
        value = {"last_active_drawing": {"type": "Feature", "properties": {"id": feature_id}}}
        return _rerun([WidgetState(id=self.map_id, json_value=json.dumps(value))])


async def one_client(url: str, index: int, clicks: int, result: Round) -> None:
    from websockets.asyncio.client import connect

    start = time.perf_counter()
    await asyncio.to_thread(lambda: urllib.request.urlopen(url, timeout=60).read())
    ws_url = url.replace("http://", "ws://") + "_stcore/stream"
    async with connect(ws_url, subprotocols=["streamlit"], max_size=None) as ws:
        client = Client(ws)
        errors = await client.run(_rerun())
        result.loads.append(time.perf_counter() - start)
        result.runs += 1
        result.errors += errors
        if client.map_id is None:
            result.errors.append("no map component in the first run")
            return
        for i in range(clicks):
            t0 = time.perf_counter()
            errors = await client.run(client.click(FEATURES[(index + i) % len(FEATURES)]))
            result.clicks.append(time.perf_counter() - t0)
            result.runs += 1
            result.errors += errors
            if not client.panel:
                result.errors.append("a click did not show the feature's panel")


async def one_round(url: str, pid: int, clients: int, clicks: int, deadline: float) -> Round:
    result = Round()
    cpu0, t0 = cpu_seconds(pid), time.perf_counter()
    tasks = [asyncio.create_task(one_client(url, i, clicks, result)) for i in range(clients)]
    done, pending = await asyncio.wait(tasks, timeout=deadline)
    for task in pending:
        task.cancel()
        result.errors.append("not done by the deadline")
    for task in done:
        if task.exception() is not None:
            exc = task.exception()
            result.errors.append(f"{type(exc).__name__}: {exc}")
    if pending:
        await asyncio.wait(pending)
    result.cpu, result.wall = cpu_seconds(pid) - cpu0, time.perf_counter() - t0
    return result


def _ms(values: list[float], q: float) -> str:
    if not values:
        return "—"
    ordered = sorted(values)
    value = (
        statistics.median(ordered)
        if q == 0.5
        else ordered[min(len(ordered) - 1, int(q * len(ordered)))]
    )
    return f"{value * 1000:.0f}"


def baseline_folder(tmp: Path) -> Path:
    """The baseline script beside the app's config (as bench/bench_app.py runs it)."""
    shutil.copy(ROOT / "bench" / "baseline_app.py", tmp / "baseline_app.py")
    shutil.copytree(ROOT / ".streamlit", tmp / ".streamlit")
    return tmp / "baseline_app.py"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", default="20,50,100", help="comma-separated client counts")
    parser.add_argument("--clicks", type=int, default=2, help="clicks per client after the load")
    parser.add_argument("--deadline", type=float, default=60.0, help="seconds per round at most")
    args = parser.parse_args()
    counts = [int(n) for n in args.clients.split(",")]

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        baseline = baseline_folder(Path(tmp))
        for name, script, cwd in (
            ("app", ROOT / "app.py", ROOT),
            ("baseline", baseline, Path(tmp)),
        ):
            with server(script, cwd) as (url, pid):
                asyncio.run(one_round(url, pid, 1, 1, args.deadline))  # warm the caches
                for n in counts:
                    result = asyncio.run(one_round(url, pid, n, args.clicks, args.deadline))
                    rows.append((name, n, result))
                    print(f"  {name} × {n}: {result.runs} runs in {result.wall:.0f} s", flush=True)

    head = f"{'server':10}{'clients':>8}{'load med':>10}{'load p95':>10}{'click med':>11}"
    head += f"{'click p95':>11}{'runs':>6}{'runs/s':>8}{'CPU s/run':>11}{'errors':>8}"
    print("\n" + head + "\n" + "-" * len(head))
    for name, n, r in rows:
        per_run = r.cpu / r.runs if r.runs else float("nan")
        print(
            f"{name:10}{n:>8}{_ms(r.loads, 0.5):>10}{_ms(r.loads, 0.95):>10}"
            f"{_ms(r.clicks, 0.5):>11}{_ms(r.clicks, 0.95):>11}{r.runs:>6}"
            f"{r.runs / r.wall:>8.1f}{per_run:>11.3f}{len(r.errors):>8}"
        )
    print("latencies in ms; CPU: the server process's user+system seconds per script run")
    for name, n, r in rows:
        for error in sorted(set(r.errors))[:3]:
            print(f"  {name} × {n}: {error} ({r.errors.count(error)}×)")


if __name__ == "__main__":
    main()
