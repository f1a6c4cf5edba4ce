"""Pausing Python's cyclic garbage collector around work that builds many acyclic objects.

Replays, queries, graph building and the xAPI import allocate hundreds of thousands of small
containers next to long-lived state; each allocation burst made the collector walk everything
alive again, for nothing (none of these objects form cycles: reference counting frees them).
One pause for the whole process, shared by every thread: the collector is off while any pause
runs and is switched back on when the last one ends, if it was on when the first began.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator
from typing import Final

#: Pauses running now (any thread), and whether the collector ran before the first.
_PAUSING: list[int] = [0]
_WAS_ENABLED: list[bool] = [True]
_LOCK: Final = threading.Lock()


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """No automatic garbage collection while the block runs (nested and concurrent use are
    fine); the collector is switched back on when the last pause ends, if it was on."""
    with _LOCK:
        if _PAUSING[0] == 0:
            _WAS_ENABLED[0] = gc.isenabled()
            gc.disable()
        _PAUSING[0] += 1
    try:
        yield
    finally:
        with _LOCK:
            _PAUSING[0] -= 1
            if _PAUSING[0] == 0 and _WAS_ENABLED[0]:
                gc.enable()


def young_collection() -> None:
    """Collect the young generations (what the collector would have done on its own)."""
    gc.collect(1)


__all__ = ["collector_paused", "young_collection"]
