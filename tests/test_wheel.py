"""The package as users get it: build the wheel, install it into a fresh virtualenv outside the
checkout, and run the command line and the app from a folder that is not the checkout.

The fresh virtualenv sees this interpreter's dependencies through a ``.pth`` line (no download,
works offline), while ``hedong_geo`` itself can only come from the installed wheel: the test
checks that, and that the layers, plan texts and docs it reads are the wheel's copies.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest
from conftest import ROOT, map_frame, open_session, serve_app

from hedong_geo.assets import asset_files, served_url

pytestmark = pytest.mark.wheel

# What a wheel is built from (a copy, so the build writes nothing into the checkout).
SOURCES = [
    "pyproject.toml",
    "setup.py",
    "MANIFEST.in",
    "README.md",
    "app.py",
    ".streamlit",
    "hedong_geo",
    "layers",
    "geodata",
    "docs",
]


@dataclass
class Installed:
    python: str  # the fresh virtualenv's interpreter
    scripts: Path  # its bin/ (console scripts)
    work: Path  # a working folder outside the checkout
    env: dict[str, str]

    def run(self, *args: str, program: str | None = None) -> subprocess.CompletedProcess:
        cmd = [program] if program else [self.python, "-m", "hedong_geo"]
        return subprocess.run(
            [*cmd, *args],
            cwd=self.work,
            env=self.env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=120,
            check=False,
        )


def _can_build_offline() -> bool:
    """setuptools ≥ 70.1 builds wheels by itself; older ones need `wheel` (fetched by pip)."""
    try:
        major, minor = (int(p) for p in version("setuptools").split(".")[:2])
    except (PackageNotFoundError, ValueError):
        return False
    return (major, minor) >= (70, 1)


def _build_wheel(tmp: Path) -> Path:
    src = tmp / "src"
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "_data")
            shutil.copytree(source, src / name, ignore=ignore)
        else:
            src.mkdir(exist_ok=True)
            shutil.copy2(source, src / name)
    dist = tmp / "dist"
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist)]
    if _can_build_offline():
        cmd.append("--no-build-isolation")
    done = subprocess.run([*cmd, str(src)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    (wheel,) = dist.glob("hedong_geo-*.whl")
    return wheel


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    tmp = tmp_path_factory.mktemp("wheel")
    wheel = _build_wheel(tmp)
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    python = str(bindir / ("python.exe" if os.name == "nt" else "python"))
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # This interpreter's packages (the dependencies), after the new venv's own site-packages.
    # A plain path line: the .pth files in there (an editable hedong_geo) are not run.
    ours = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))
    (Path(purelib) / "dependencies.pth").write_text("\n".join(ours) + "\n", encoding="utf-8")
    pip = [sys.executable, "-m", "pip", "--python", python, "install", "--quiet"]
    subprocess.run([*pip, "--no-deps", "--no-index", str(wheel)], check=True)
    work = tmp / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "HEDONG_GEO_"))}
    env["PYTHONIOENCODING"] = "utf-8"
    return Installed(python, bindir, work, env)


def test_the_installed_package_reads_its_own_data(installed: Installed) -> None:
    done = installed.run(
        "-c",
        "import json, hedong_geo, hedong_geo.paths as p, hedong_geo.settings as s; "
        "print(json.dumps([hedong_geo.__file__, str(p.ROOT), p.IN_CHECKOUT, "
        "str(s.get().layers_dir)]))",
        program=installed.python,
    )
    assert done.returncode == 0, done.stderr
    module, root, in_checkout, layers_dir = json.loads(done.stdout)
    venv = Path(installed.python).parent.parent
    assert Path(module).is_relative_to(venv), module
    assert Path(root) == Path(module).parent / "_data" and in_checkout is False
    assert Path(layers_dir) == Path(root) / "layers"
    shipped = {p.name for p in (Path(root) / "layers").glob("*.geojson")}
    assert shipped == {p.name for p in (ROOT / "layers").glob("*.geojson")}
    for rel in ("app.py", ".streamlit/config.toml", "docs/about_zh.md", "docs/app.css"):
        assert (Path(root) / rel).is_file(), rel


def test_the_command_line_works_outside_the_checkout(installed: Installed) -> None:
    script = str(installed.scripts / ("hedong-geo.exe" if os.name == "nt" else "hedong-geo"))
    done = installed.run("plan", "search", "一机床", "--json", program=script)
    assert done.returncode == 0, done.stderr
    assert {hit["doc"] for hit in json.loads(done.stdout)} == {"wr", "fyp"}

    done = installed.run("validate")
    assert (done.returncode, done.stdout.strip()) == (0, "all layers valid"), done.stderr

    out = installed.work / "m.png"
    done = installed.run("export", "--format", "png", "--dpi", "100", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    done = installed.run("build")  # no checkout to write into
    assert done.returncode == 2 and "--out" in done.stderr, done.stderr
    names = sorted(p.name for p in installed.work.iterdir())  # the map page, then list pages
    assert names[-1] == "m.png" and all(re.fullmatch(r"m(-p\d+)?\.png", n) for n in names)


@pytest.fixture(scope="module")
def installed_app(installed: Installed) -> Iterator[tuple[str, Path]]:
    log = installed.work.parent / "app.log"
    with serve_app(installed.env, log, python=installed.python, cwd=installed.work) as url:
        yield url, log


def test_the_app_starts_and_serves_the_map_offline(
    installed_app: tuple[str, Path], browser
) -> None:
    from playwright.sync_api import expect

    url, log = installed_app
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.status == 200 and b"<noscript>" in r.read()
    with open_session(browser) as session:
        session.page.goto(url)
        frame = map_frame(session.page, timeout=60_000)
        expect(frame.locator(".leaflet-container")).to_be_visible()
    session.assert_local()
    assert not [u for u in session.requests if "/app/static/" in u]
    leaflet = served_url("vendor/leaflet/leaflet.js")
    assert any(u.endswith(leaflet) for u in session.requests)
    with urllib.request.urlopen(url.rstrip("/") + leaflet, timeout=10) as r:
        assert r.read() == asset_files()["vendor/leaflet/leaflet.js"].read_bytes()
    text = log.read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in text and "127.0.0.1" in text, text
