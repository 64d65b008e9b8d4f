"""A second dashboard on a data directory another process owns says so once, and takes over
when the owner goes."""

import pytest
from apptest_helpers import clear_caches, new_app

from app import navigation, state
from runlayer import RunStore
from runlayer.ownership import DirectoryLock


@pytest.fixture
def owned_elsewhere(tmp_path):
    home = tmp_path / "home"
    RunStore(home).close()
    holder = DirectoryLock(home)  # another open file: to flock, another owner
    assert holder.acquire()
    yield home, holder
    holder.release()


def read_only_warnings(at) -> list[str]:
    return [w.value for w in at.warning if w.value.startswith("Read-only")]


def test_the_read_only_notice_shows_once_per_page(owned_elsewhere, monkeypatch):
    """The entry shows it in the sidebar; the pages, which ask for the registry many times
    (the Train form about ten), add none. (AppTest runs a page without the entry after its
    first run; tests/test_browser_sidebar.py checks every page in a real browser.)"""
    home, _ = owned_elsewhere
    at = new_app(home, monkeypatch)
    try:
        at.run()
        assert not at.exception
        [notice] = read_only_warnings(at)
        assert "belongs to another digit-net process" in notice
        assert [w.value for w in at.sidebar.warning] == [notice]
        at.switch_page(navigation.COMPARE.script).run()  # a page alone adds none of its own
        assert not read_only_warnings(at) and not at.exception
    finally:
        state.get_registry().shutdown()
        clear_caches()


def test_the_notice_goes_when_the_owner_stops(owned_elsewhere, monkeypatch):
    home, holder = owned_elsewhere
    at = new_app(home, monkeypatch)
    try:
        at.run()
        assert read_only_warnings(at) and not state.get_registry().store.owned
        holder.release()
        at = new_app(home, monkeypatch)  # a new session of the same server
        at.run()
        assert not read_only_warnings(at) and state.get_registry().store.owned
    finally:
        state.get_registry().shutdown()
        clear_caches()
