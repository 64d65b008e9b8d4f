"""Start the real dashboard and drive Debian's Chromium with Playwright (no browser download)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("DIGITNET_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def require_browser() -> None:
    """Skip without Chromium, except where CI demands the browser tests (then fail)."""
    if Path(CHROMIUM).exists() and shutil.which(CHROMIUM):
        return
    message = f"{CHROMIUM} not found: install it with `apt-get install chromium`"
    if os.environ.get("DIGITNET_REQUIRE_BROWSER") == "1":
        pytest.fail(message + " (DIGITNET_REQUIRE_BROWSER=1: browser tests must run)")
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit_server(
    home: Path, port: int, extra: tuple[str, ...] = (), timeout: float = 60.0, host="localhost"
):
    """`streamlit run dashboard.py` with the project's own .streamlit/config.toml plus `extra`
    options; yields the process once http://host:port/_stcore/health answers. The server runs
    in its own session and is killed with its children on exit."""
    env = dict(os.environ, NETLIB_HOME=str(home))
    log_path = home.parent / f"streamlit-{port}.log"
    command = [sys.executable, "-m", "streamlit", "run", "dashboard.py"]
    command += ["--server.port", str(port), "--server.headless", "true", *extra]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + timeout
            while not _healthy(f"http://{host}:{port}/_stcore/health"):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"streamlit did not start: {log_path.read_text()[-2000:]}")
                time.sleep(0.2)
            yield proc
        finally:  # the test may have killed it already
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


@contextmanager
def dashboard_server(home: Path, timeout: float = 30.0):
    """The dashboard on 127.0.0.1:<free port>; yields the base URL."""
    port = free_port()
    extra = ("--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false")
    with streamlit_server(home, port, extra, timeout, host="127.0.0.1"):
        yield f"http://127.0.0.1:{port}"


@contextmanager
def browser_page(width: int = 1500, height: int = 1800):
    """A headless Chromium page that records console errors and page errors."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": width, "height": height})
        page.errors = []  # type: ignore[attr-defined]
        page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        try:
            yield page
        finally:
            browser.close()


def start_named_run(page, link: str, name: str) -> None:
    """Open the Train page at `link` (its query string sets the form), name the run and press
    Start; returns once the page shows the run."""
    page.goto(link, timeout=60_000)
    page.get_by_text("Train a network").first.wait_for(timeout=30_000)
    box = page.get_by_label("Run name (optional)")
    box.fill(name)
    box.press("Enter")
    page.wait_for_timeout(800)  # the rerun that takes the name
    page.get_by_role("button", name="Start training").click()
    page.get_by_text(name).first.wait_for(timeout=30_000)


def assert_no_exception_shown(page) -> None:
    shown = page.locator('[data-testid="stException"]')
    assert shown.count() == 0, shown.first.inner_text()
