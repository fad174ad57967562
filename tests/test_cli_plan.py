"""``python -m hedong_geo plan ...``: toc, show, search, cite; and ``app``, the launcher."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from hedong_geo import plan
from hedong_geo.cli import main
from hedong_geo.paths import ROOT


def _run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-m", "hedong_geo", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        check=False,
    )


def test_search_json_lists_both_documents_and_every_id_opens():
    done = _run("plan", "search", "一机床", "--json")
    assert done.returncode == 0, done.stderr
    hits = json.loads(done.stdout)
    exact = [h for h in hits if "<mark>一机床</mark>" in h["snippet_html"]]
    assert {h["doc"] for h in exact} == {"wr", "fyp"}
    assert hits[: len(exact)] == exact
    for hit in hits:
        assert main(["plan", "show", hit["block_id"]]) == 0


def test_show_prints_text_and_path(capsys):
    assert main(["plan", "show", "wr.gloss.6"]) == 0
    out = capsys.readouterr().out
    assert plan.block("wr.gloss.6").text in out and "名词解释" in out
    assert main(["plan", "show", "fyp.box5", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["kind"] == "heading" and data["text"].startswith("专栏 5")


def test_show_unknown_id_exits_2_with_a_suggestion(capsys):
    assert main(["plan", "show", "fyp.ch6.s2.p9"]) == 2
    err = capsys.readouterr().err
    assert "fyp.ch6.s2.p9" in err and "fyp.ch6.s2.p1" in err


def test_cite_true_and_false_quote():
    ok = _run("plan", "cite", "wr.p1.p5", "彩丽园小学等7个项目实现竣工")
    assert ok.returncode == 0, ok.stderr
    assert "wr.p1.p5" in ok.stdout
    bad = _run("plan", "cite", "wr.p1.p5", "彩丽园小学等8个项目实现竣工")
    assert bad.returncode == 2
    assert "'彩丽园小学等8个项目实现竣工'" in bad.stderr
    assert "彩丽园小学等7个项目实现竣工" in bad.stderr  # the closest passage


def test_cite_json(capsys):
    assert main(["plan", "cite", "fyp.ch6.s2.p1", "天津站片区", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    text = plan.document("fyp").text
    assert "".join(text[a:b] for a, b in data["spans"]) == "天津站片区"


def test_toc(capsys):
    assert main(["plan", "toc", "fyp"]) == 0
    out = capsys.readouterr().out
    assert "fyp.ch10" in out and "专栏 8" in out and "wr.p1" not in out
    assert main(["plan", "toc"]) == 0
    out = capsys.readouterr().out
    assert "wr.gloss" in out and "fyp.ch1" in out
    assert main(["plan", "toc", "xx"]) == 2


def test_search_text_and_filters(capsys):
    assert main(["plan", "search", "一机床", "--doc", "wr", "--limit", "2"]) == 0
    out = capsys.readouterr().out
    assert "【一机床】" in out and "fyp." not in out
    assert main(["plan", "search", "一机床", "--chapter", "fyp.ch99"]) == 2
    assert "fyp.ch9" in capsys.readouterr().err
    assert main(["plan", "search", "魑魅魍魉"]) == 0
    assert "no hits" in capsys.readouterr().out


# --- app ----------------------------------------------------------------------------------------


def test_app_runs_the_app_script_with_its_config_as_flags() -> None:
    from hedong_geo import paths
    from hedong_geo.cli import app_command

    cmd = app_command(["--server.port", "8502", "--server.address=0.0.0.0"])
    assert cmd[:2] == ["run", str(paths.APP)]
    assert "--client.showErrorDetails=none" in cmd
    assert "--browser.gatherUsageStats=false" in cmd
    # The user's options win: ours are left out, theirs passed on as given.
    assert not any(a.startswith("--server.address=127") for a in cmd)
    assert cmd[-3:] == ["--server.port", "8502", "--server.address=0.0.0.0"]
    assert "--server.address=127.0.0.1" in app_command([])  # this machine only by default


def test_app_help(capsys) -> None:
    assert main(["app", "--help"]) == 0
    assert "--server.port" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "start the Streamlit app" in capsys.readouterr().out


def test_app_starts_from_the_checkout(tmp_path) -> None:
    """``python -m hedong_geo app`` (what ``make run`` runs) answers, on this machine only."""
    import urllib.request

    from conftest import serve_app

    log = tmp_path / "app.log"
    with serve_app(log=log) as url, urllib.request.urlopen(url, timeout=10) as page:
        assert page.status == 200 and b"<noscript>" in page.read()
    assert "127.0.0.1" in log.read_text(encoding="utf-8", errors="replace")
