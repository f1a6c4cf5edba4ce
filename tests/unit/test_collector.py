"""The process-wide pause of the garbage collector shared by replays, graphs and the import."""

from __future__ import annotations

import gc
import threading

from learningorg._collector import collector_paused


def test_the_collector_stays_off_until_the_last_pause_of_any_thread_ends() -> None:
    """A pause that began first and ends first does not switch the collector back on under
    another thread's pause that still runs."""
    assert gc.isenabled()
    entered, released = threading.Event(), threading.Event()
    seen: list[bool] = []

    def other() -> None:
        with collector_paused():
            entered.set()
            released.wait(10)
            seen.append(gc.isenabled())

    thread = threading.Thread(target=other)
    with collector_paused():
        thread.start()
        assert entered.wait(10)
    released.set()
    thread.join(10)
    assert seen == [False]
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    try:
        with collector_paused(), collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
