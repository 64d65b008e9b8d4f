"""In a real browser: every page's sidebar lists the run training now and leads back to it.

(AppTest cannot show this: after its first run it executes a page in pages/ on its own, without
dashboard.py, so the shared sidebar is not drawn there.)
"""

from __future__ import annotations

import pytest
from browser_helpers import (
    assert_no_exception_shown,
    browser_page,
    dashboard_server,
    require_browser,
    start_named_run,
)

pytestmark = pytest.mark.browser
PAGES = [
    "Data",
    "Inspect",
    "Pair lens",
    "Run vs run",
    "Draw a digit",
    "Compare runs",
    "Sweep",
    "Train",
]
RUN = "sidebar long run"


def test_every_page_lists_the_active_run_and_watch_leads_back_to_it(tmp_path):
    require_browser()
    with dashboard_server(tmp_path / "home") as url, browser_page() as page:
        start_named_run(page, f"{url}/?hidden=12&epochs=5000&batch_size=16", RUN)
        sidebar = page.locator('[data-testid="stSidebar"]')
        for title in PAGES:
            page.locator('[data-testid="stSidebarNav"] a').filter(has_text=title).first.click()
            sidebar.get_by_text(RUN).first.wait_for(timeout=20_000)
            assert sidebar.get_by_role("button", name="Watch").count() == 1, title
            assert_no_exception_shown(page)
        page.locator('[data-testid="stSidebarNav"] a').filter(has_text="Compare runs").click()
        page.get_by_text("Hyperparameters vs test accuracy").first.wait_for(timeout=20_000)
        sidebar.get_by_role("button", name="Watch").click()
        page.get_by_text("Train a network").first.wait_for(timeout=20_000)
        page.get_by_role("button", name="Stop").click(timeout=20_000)
        page.get_by_text("Stopped: stopped by the user").wait_for(timeout=30_000)
        sidebar.get_by_text("No run is training").first.wait_for(timeout=20_000)
        assert page.errors == [], page.errors


def test_a_read_only_dashboard_says_so_once_on_every_page(tmp_path):
    """Another process (this test) owns the data directory: each page shows one notice."""
    from runlayer import RunStore
    from runlayer.ownership import DirectoryLock

    require_browser()
    home = tmp_path / "home"
    RunStore(home).close()
    holder = DirectoryLock(home)
    assert holder.acquire()
    try:
        with dashboard_server(home) as url, browser_page() as page:
            page.goto(url)
            notice = page.get_by_text("Read-only: the run data in")
            for title in ("Train", "Compare runs", "Inspect", "Train"):
                link = page.locator('[data-testid="stSidebarNav"] a').filter(has_text=title)
                link.first.click()
                notice.first.wait_for(timeout=20_000)
                page.wait_for_timeout(2500)  # the sidebar's live part has ticked once since
                assert notice.count() == 1, title
                assert_no_exception_shown(page)
    finally:
        holder.release()
