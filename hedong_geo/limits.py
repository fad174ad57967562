"""How many exports may run at once: a few per process in total, one per session.

A PNG or PDF export takes seconds and hundreds of MB; an app open to many visitors must not let
them start any number at once. :class:`ExportLimiter` counts running exports under a lock and
refuses (never waits) when the process or the session is busy, so the visitor gets a message
at once and the server's memory stays bounded.

    limiter = ExportLimiter(total=2)
    with limiter.slot(session_id):  # raises Busy with a message to show
        export_to(...)
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Iterator
from contextlib import contextmanager

from hedong_geo._errors import HedongGeoError

#: Exports running at once in one app process, by default.
DEFAULT_TOTAL = 2


class Busy(HedongGeoError, RuntimeError):
    """No export slot is free: the session's own export, or the process's limit, is running."""


class ExportLimiter:
    """At most ``total`` exports at once in the process and one per session; thread-safe.

    Parameters
    ----------
    total : int
        Exports that may run at the same time across all sessions (at least 1).
    """

    def __init__(self, total: int = DEFAULT_TOTAL) -> None:
        if not isinstance(total, int) or isinstance(total, bool) or total < 1:
            raise ValueError(f"total is {total!r}; expected an integer of at least 1")
        self.total = total
        self._lock = threading.Lock()
        self._running: set[Hashable] = set()

    @property
    def running(self) -> int:
        """How many exports hold a slot right now."""
        with self._lock:
            return len(self._running)

    def acquire(self, session: Hashable) -> None:
        """Take a slot for ``session``; raise :class:`Busy` (with the message to show) if none."""
        with self._lock:
            if session in self._running:
                raise Busy("your other export is still running; try again when it is done")
            if len(self._running) >= self.total:
                raise Busy("another export is running; try again in a moment")
            self._running.add(session)

    def release(self, session: Hashable) -> None:
        """Give back ``session``'s slot (nothing happens if it holds none)."""
        with self._lock:
            self._running.discard(session)

    @contextmanager
    def slot(self, session: Hashable) -> Iterator[None]:
        """A slot for ``session`` for the ``with`` block, given back however the block ends."""
        self.acquire(session)
        try:
            yield
        finally:
            self.release(session)
