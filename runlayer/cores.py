"""The machine's cores, shared by the dashboard's single runs and a sweep's trials.

Each training (a single run's thread or a sweep's trial process) holds one slot while it
trains. When a slot comes free the listeners hear it first, before whoever gave it back can
take it again: the run registry starts a queued single run there, so a sweep never starves
the runs a person starts beside it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable


class CoreSlots:
    def __init__(self, total: int | None = None) -> None:
        self.total = max(1, int(total or os.cpu_count() or 1))
        self._taken = 0
        self._lock = threading.Lock()
        self._listeners: list[Callable[[], None]] = []

    def take(self) -> bool:
        """One slot if one is free."""
        with self._lock:
            if self._taken >= self.total:
                return False
            self._taken += 1
            return True

    def give(self) -> None:
        with self._lock:
            self._taken = max(0, self._taken - 1)
        for listener in list(self._listeners):  # outside the lock: a listener takes a slot
            listener()

    def on_free(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    @property
    def taken(self) -> int:
        with self._lock:
            return self._taken
