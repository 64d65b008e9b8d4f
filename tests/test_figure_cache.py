"""app.figure_cache: one build per chart version for the whole server."""

import threading
import time

import pytest

from app.figure_cache import FigureCache


def counting_builder(log: list, value):
    def build():
        log.append(value)
        return {"fig": value}

    return build


def test_same_version_is_built_once_and_shared():
    cache, log = FigureCache(), []
    first = cache.get(("loss", "run1"), 3, counting_builder(log, "a"))
    again = cache.get(("loss", "run1"), 3, counting_builder(log, "b"))
    assert again is first and log == ["a"] and cache.builds == 1


def test_new_version_or_other_key_rebuilds():
    cache, log = FigureCache(), []
    cache.get("loss_r1", 1, counting_builder(log, "v1"))
    assert cache.get("loss_r1", 2, counting_builder(log, "v2")) == {"fig": "v2"}
    assert cache.get("loss_r2", 2, counting_builder(log, "other")) == {"fig": "other"}
    assert log == ["v1", "v2", "other"]
    # the older version is gone: asking for it again builds it again
    cache.get("loss_r1", 1, counting_builder(log, "v1 again"))
    assert log[-1] == "v1 again"


def test_least_recently_used_entries_are_dropped():
    cache, log = FigureCache(max_entries=2), []
    cache.get("a", 0, counting_builder(log, "a"))
    cache.get("b", 0, counting_builder(log, "b"))
    cache.get("a", 0, counting_builder(log, "a2"))  # a is now the most recent
    cache.get("c", 0, counting_builder(log, "c"))  # evicts b
    assert len(cache) == 2 and log == ["a", "b", "c"]
    cache.get("a", 0, counting_builder(log, "a3"))
    cache.get("b", 0, counting_builder(log, "b2"))
    assert log == ["a", "b", "c", "b2"]


def test_tabs_asking_at_once_share_one_build():
    cache, log, results = FigureCache(), [], []

    def slow_build():
        log.append(threading.get_ident())
        time.sleep(0.05)
        return object()

    def tab():
        results.append(cache.get("tiles_r1", 7, slow_build))

    threads = [threading.Thread(target=tab) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(log) == 1 and len({id(r) for r in results}) == 1


def test_a_failing_build_caches_nothing():
    cache = FigureCache()

    def broken():
        raise ValueError("bad data")

    with pytest.raises(ValueError, match="bad data"):
        cache.get("k", 1, broken)
    assert len(cache) == 0 and cache.get("k", 1, lambda: "ok") == "ok"


def test_max_entries_must_be_positive():
    with pytest.raises(ValueError, match="max_entries"):
        FigureCache(max_entries=0)
