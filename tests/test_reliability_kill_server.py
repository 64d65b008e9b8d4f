"""The real `streamlit run` server killed with SIGKILL mid-epoch while a browser watches, then
restarted on the same data directory: the store opens cleanly, the run shows "interrupted" in
the browser with every finished epoch, and its last checkpoint loads.

(tests/test_reliability_faults.py does the same to an AppTest-driven runtime, with finer
checks of the files; this one kills the very process `streamlit run` starts.)"""

from __future__ import annotations

import os
import signal
import sqlite3
import time

import pytest
from browser_helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    free_port,
    require_browser,
    start_named_run,
    streamlit_server,
)

from runlayer import RunStore

pytestmark = pytest.mark.browser
NAME = "killed with the server"


def _progress(home) -> tuple[str, int] | None:
    """(status, epochs finished) of the one run, read from the store as another process."""
    try:
        with sqlite3.connect(f"file:{home / 'runs.sqlite3'}?mode=ro", uri=True, timeout=5) as con:
            row = con.execute("SELECT id, status FROM runs").fetchone()
            if row is None:
                return None
            done = con.execute("SELECT COUNT(*) FROM epochs WHERE run_id=?", (row[0],))
            return row[1], done.fetchone()[0]
    except sqlite3.OperationalError:  # not created yet
        return None


def test_sigkill_of_the_real_server_mid_epoch_leaves_an_interrupted_run(tmp_path):
    require_browser()
    from playwright.sync_api import sync_playwright

    home, port = tmp_path / "home", free_port()
    home.mkdir()
    url = f"http://localhost:{port}"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        with streamlit_server(home, port) as server:
            start_named_run(page, f"{url}/?hidden=32&epochs=5000&batch_size=8", NAME)
            deadline = time.monotonic() + 120
            while (_progress(home) or ("", 0))[1] < 2:  # two epochs saved, the third under way
                assert time.monotonic() < deadline, f"no two epochs in time: {_progress(home)}"
                time.sleep(0.1)
            time.sleep(0.3)
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(10)
        status, done = _progress(home)
        assert status == "running" and done >= 2  # what the killed server left behind

        with streamlit_server(home, port):  # restarted on the same data directory
            page.goto(f"{url}/compare", timeout=60_000)
            page.get_by_text("Compare runs").first.wait_for(timeout=30_000)
            cell = page.locator("[role=gridcell]").filter(has_text="interrupted")
            cell.first.wait_for(state="attached", timeout=30_000)
        browser.close()

    store = RunStore(home)
    try:
        assert store.integrity_check() == "ok"
        [record] = store.list_runs()
        assert (record.name, record.status) == (NAME, "interrupted")
        assert record.epochs_done == done
        assert [m["epoch"] for m in store.epoch_metrics(record.id)] == list(range(1, done + 1))
        net, config, meta = store.load_weights(record.id, "last")
        assert meta["epoch"] == done and config.hidden == (32,)
        assert not list(home.rglob(".tmp-*"))
    finally:
        store.close()
