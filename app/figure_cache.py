"""The newest figure of each live chart, shared by every tab of the server.

Figures are built in the process that trains, so each build is time taken from a training
thread. With one cache for the whole server, eight tabs watching a run cost one build per
data change instead of eight.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any


class FigureCache:
    """Latest (version, figure) per chart key, least recently used dropped past max_entries.

    Cached figures are shared between threads: callers must not modify them.
    """

    def __init__(self, max_entries: int = 64) -> None:
        if max_entries < 1:
            raise ValueError(f"max_entries must be at least 1, got {max_entries}")
        self.max_entries = max_entries
        self.builds = 0  # how many times build() ran: what the cache saves is visible
        self._items: OrderedDict[Hashable, tuple[Hashable, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, version: Hashable, build: Callable[[], Any]) -> Any:
        """The figure for `key` at `version`, built at most once per version.

        Builds happen under the lock, so tabs asking at once wait for one build rather than
        each making their own.
        """
        with self._lock:
            hit = self._items.get(key)
            if hit is not None and hit[0] == version:
                self._items.move_to_end(key)
                return hit[1]
            figure = build()
            self.builds += 1
            self._items[key] = (version, figure)
            self._items.move_to_end(key)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)
            return figure

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)
