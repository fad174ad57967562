"""What the app benchmarks share: the two servers (our app, the naive baseline), the CPU a
server process has used, the websocket messages of a Streamlit run, and timing summaries.

Not a benchmark itself (``run_all.py`` runs ``bench_*.py`` only).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout
sys.path.insert(0, str(ROOT / "tests"))  # the servers and browser helpers the tests use

import helpers  # noqa: E402

APP = ROOT / "app.py"
#: The map component's name in app.py (hedong_geo/ui_map.py registers it).
MAP_COMPONENT = "hedong_geo.map"


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far, all its threads (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Server:
    """A running Streamlit server: its URL, process id and when the process was started
    (``time.perf_counter()``), for a cold start measured from the very beginning."""

    url: str
    proc: subprocess.Popen
    started: float

    @property
    def pid(self) -> int:
        """The server's process id."""
        return self.proc.pid

    def cpu(self) -> float:
        """CPU seconds the server process has used so far."""
        return cpu_seconds(self.pid)


@contextmanager
def server(script: Path, cwd: Path, wait: bool = True) -> Iterator[Server]:
    """``streamlit run script`` (in ``cwd``, with this checkout importable) on a free port of
    127.0.0.1, the same way for our app and the baseline. With ``wait`` the server's health
    check has answered when this yields; without it, the caller polls (a cold start)."""
    port = helpers.free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port)]
    cmd += ["--server.address", "127.0.0.1", "--server.headless", "true"]
    cmd += ["--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"]
    pythonpath = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": pythonpath}
    env.pop("HEDONG_GEO_LAYERS_DIR", None)  # the project's own layers
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        if wait:
            helpers.wait_for_health(url, proc)
        yield Server(url, proc, started)
    finally:
        helpers.stop(proc)


def baseline_folder(tmp: Path, static: bool = True) -> Path:
    """The naive baseline (bench/baseline_app.py) in ``tmp`` beside the app's config; with
    ``static`` also the map's assets in ``static/`` and static serving on, as the baseline's
    folium page loads them from ``/app/static`` (a browser needs them, a websocket client not).
    Returns the script's path."""
    from hedong_geo.assets import install_static

    shutil.copy(ROOT / "bench" / "baseline_app.py", tmp / "baseline_app.py")
    shutil.copytree(ROOT / ".streamlit", tmp / ".streamlit")
    if static:
        install_static(tmp / "static")
        config = tmp / ".streamlit" / "config.toml"
        config.write_text(config.read_text("utf-8").replace("Serving = false", "Serving = true"))
    return tmp / "baseline_app.py"


def quantile(values: Sequence[float], q: float) -> float:
    """The median for ``q`` = 0.5, else the value at rank ``q`` (nan when there are none)."""
    if not values:
        return float("nan")
    if q == 0.5:
        return statistics.median(values)
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def ratio(a: float, b: float) -> str:
    """``a / b`` as ``0.05×`` (``—`` when either is missing)."""
    if not (a == a and b == b) or b == 0:  # nan
        return "—"
    return f"{a / b:.3g}×"


def verdict(ok: bool) -> str:
    """``ok`` or ``MISSED``, for a line comparing a figure with its target."""
    return "ok" if ok else "MISSED"
