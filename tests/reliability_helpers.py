"""Shared pieces of the reliability and security tests: fresh app state, polling, time limits."""

from __future__ import annotations

import io
import signal
import threading
import time
import urllib.request
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import numpy as np

# One launcher and one browser setup for every test that needs a real server.
from apptest_helpers import shown
from browser_helpers import CHROMIUM, CHROMIUM_ARGS, free_port, streamlit_server  # noqa: F401
from browser_helpers import require_browser as require_chromium  # noqa: F401
from streamlit.testing.v1 import AppTest

from app import state

ROOT = Path(__file__).resolve().parent.parent
ACTIVE_TRAINING = ("loading", "running")  # statuses that hold a training thread


def reset_app_state() -> None:
    """Forget the process-wide registry (st.cache_resource outlives AppTests); uploads live
    in $NETLIB_HOME."""
    from apptest_helpers import clear_caches

    clear_caches()


def shut_down_app_state() -> None:
    """Stop the shared registry's runs (if it ever opened) and forget it."""
    if state.registry_problem() is None:
        state.get_registry().close()
    reset_app_state()


def session(timeout: float = 60) -> AppTest:
    """One browser tab on the dashboard (AppTest shares st.cache_resource with every other)."""
    return AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=timeout)


def button(at: AppTest, words: str):
    return next(b for b in at.button if words in b.label)


def texts(elements) -> list[str]:
    """The text a person reads of each element (user-given parts are markdown-escaped)."""
    return [shown(e.value) for e in elements]


def wait_for(predicate: Callable[[], bool], timeout: float, what: str, step: float = 0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def npz_bytes(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


class StatusSampler(threading.Thread):
    """Samples registry.active() statuses from another thread, as a page's sidebar would."""

    def __init__(self, registry, every: float = 0.005) -> None:
        super().__init__(daemon=True)
        self.registry, self.every = registry, every
        self.samples: list[list[str]] = []
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.samples.append([s.status for s in self.registry.active()])
            time.sleep(self.every)

    def stop(self) -> StatusSampler:
        self._stop_event.set()
        self.join(10)
        return self

    @property
    def most_training(self) -> int:
        """The most runs seen training in one sample. An upper bound only: a sample reads the
        runs one after another, so a run that ends while it reads and the queued run that
        starts in its slot may both be counted. most_at_once() gives the exact figure."""
        counts = [sum(s in ACTIVE_TRAINING for s in sample) for sample in self.samples]
        return max(counts, default=0)

    @property
    def saw_queued(self) -> bool:
        return any("queued" in sample for sample in self.samples)


def most_at_once(spans: list[tuple[float, float]]) -> int:
    """The most (started, ended) spans that overlap at any instant: how many runs really
    trained at once (a run that ends before another starts never overlaps it)."""
    events = sorted(
        [(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans],
        key=lambda e: (e[0], e[1]),
    )  # an end before a start at the same instant
    most = now = 0
    for _, step in events:
        now += step
        most = max(most, now)
    return most


@contextmanager
def time_limit(seconds: float, what: str = "call"):
    """Fail (TimeoutError) instead of hanging; main thread only (SIGALRM)."""

    def expired(signum, frame):
        raise TimeoutError(f"{what} took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def rss_mb(pid: int | str = "self") -> dict[str, float]:
    """Resident memory now (VmRSS) and at its peak (VmHWM), in MB, from /proc."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) / 1024
    return out


def get(url: str, timeout: float = 30.0) -> tuple[int, float]:
    """(HTTP status, seconds) of one GET."""
    t0 = time.perf_counter()
    with urllib.request.urlopen(url, timeout=timeout) as response:
        response.read()
        return response.status, time.perf_counter() - t0
