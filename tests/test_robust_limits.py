"""The export limiter (hedong_geo.limits): a few exports per process, one per session.

Threads hold their slots on events, so every assertion is about counts, never about time.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from hedong_geo.i18n import t
from hedong_geo.limits import Busy, ExportLimiter

ROOT = Path(__file__).resolve().parent.parent
WAIT = 60  # s: only a bound on a hang; the events are set long before


def hold(limiter: ExportLimiter, session: str, started: threading.Event, go: threading.Event):
    """A thread that takes a slot for ``session`` and keeps it until ``go`` is set."""
    outcome: dict[str, object] = {}

    def work() -> None:
        try:
            with limiter.slot(session):
                started.set()
                go.wait(WAIT)
                outcome["ran"] = True
        except Busy as exc:
            outcome["busy"] = str(exc)
            started.set()

    thread = threading.Thread(target=work)
    thread.start()
    return thread, outcome


def test_one_export_per_session_at_a_time() -> None:
    limiter = ExportLimiter(total=4)
    started, go = threading.Event(), threading.Event()
    thread, outcome = hold(limiter, "alice", started, go)
    assert started.wait(WAIT)
    with pytest.raises(Busy, match="your other export is still running"):
        limiter.acquire("alice")
    with limiter.slot("bob"):  # another session is not held up
        assert limiter.running == 2
    go.set()
    thread.join(WAIT)
    assert outcome == {"ran": True}
    assert limiter.running == 0
    with limiter.slot("alice"):  # free again once done
        pass


def test_at_most_total_at_once_and_a_clear_message() -> None:
    limiter = ExportLimiter(total=2)
    go = threading.Event()
    held = []
    for session in ("a", "b"):
        started = threading.Event()
        held.append(hold(limiter, session, started, go))
        assert started.wait(WAIT)
    assert limiter.running == 2
    with pytest.raises(Busy) as caught:
        limiter.acquire("c")
    assert str(caught.value) == "another export is running; try again in a moment"
    go.set()
    for thread, outcome in held:
        thread.join(WAIT)
        assert outcome == {"ran": True}
    assert limiter.running == 0


def test_many_threads_never_exceed_the_limit() -> None:
    limiter = ExportLimiter(total=3)
    barrier = threading.Barrier(40)
    lock = threading.Lock()
    counts = {"ran": 0, "busy": 0, "most": 0}

    def work(i: int) -> None:
        barrier.wait(WAIT)
        for _ in range(50):
            try:
                with limiter.slot(f"s{i}"), lock:
                    counts["ran"] += 1
                    counts["most"] = max(counts["most"], limiter.running)
            except Busy:
                with lock:
                    counts["busy"] += 1

    threads = [threading.Thread(target=work, args=(i,)) for i in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    assert counts["ran"] + counts["busy"] == 40 * 50
    assert 1 <= counts["most"] <= 3
    assert counts["ran"] >= 1
    assert limiter.running == 0


def test_a_failed_export_gives_its_slot_back() -> None:
    limiter = ExportLimiter(total=1)
    with pytest.raises(RuntimeError, match="export failed"), limiter.slot("a"):
        raise RuntimeError("export failed")
    assert limiter.running == 0
    limiter.release("never-held")  # harmless


@pytest.mark.parametrize("total", [0, -1, True, 1.5])
def test_total_must_be_a_positive_integer(total) -> None:
    with pytest.raises(ValueError, match="expected an integer of at least 1"):
        ExportLimiter(total)


def test_the_app_says_so_when_the_limit_is_reached(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every slot taken (by other sessions): the export button gives a message, no file."""
    import streamlit as st

    import hedong_geo.limits as limits

    monkeypatch.delenv("HEDONG_GEO_LAYERS_DIR", raising=False)
    full = ExportLimiter(total=1)
    full.acquire("someone else")
    # The app keeps one limiter per process (a cache_resource): start from one that is full.
    monkeypatch.setattr(limits, "ExportLimiter", lambda: full)
    st.cache_resource.clear()
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.query_params["layers"] = "renewal"
        at.run()
        at.session_state["export_box"] = True  # the export box opened
        at.run()
        formats = next(s for s in at.sidebar.selectbox if s.label == t("export_data_format"))
        formats.set_value("csv").run()
        make = t("export_data_button")
        next(b for b in at.sidebar.button if b.label == make).click().run()
        assert not at.exception, [e.message for e in at.exception]
        assert t("export_busy") in [w.value for w in at.sidebar.warning]

        def downloads() -> list:  # the data file's (the print panel offers its own figure)
            return [d for d in at.sidebar.get("download_button") if d.proto.label == t("download")]

        assert not downloads()
        full.release("someone else")
        next(b for b in at.sidebar.button if b.label == make).click().run()
        assert len(downloads()) == 1
        assert full.running == 0
    finally:
        st.cache_resource.clear()
