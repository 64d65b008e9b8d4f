"""A deep link opened on a freshly started server: the options for the entry handshake.

Streamlit runs a script in `pages/` on its own until the server's first `st.navigation` call
(the product keeps the top-level `pages/` folder). Each page's first line, `require_entry`
(app/entry.py), sends such a first request through dashboard.py. This measures both options on
a copy of the tree: "one line per page" (as shipped) and "none" (require_entry a no-op).
For each, several fresh servers each get one deep link to /inspect; we time the page's title
and look for the shared sidebar ("Active runs") and the full page list.

    python bench/bench_deep_link.py [--servers 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import browser_helpers  # noqa: E402
from browser_helpers import CHROMIUM, CHROMIUM_ARGS, free_port  # noqa: E402

TREE = ("dashboard.py", "app", "pages", "netlib", "runlayer", "figures", ".streamlit")
NO_OP = "def require_entry(page_file: str) -> None:\n    return\n\n\ndef _shipped_require_entry("


def tree(variant: str, into: Path) -> Path:
    into.mkdir(parents=True)
    for name in TREE:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, into / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif src.exists():
            shutil.copy(src, into / name)
    if variant == "none":
        entry = into / "app" / "entry.py"
        text = entry.read_text().replace("def require_entry(", NO_OP, 1)
        entry.write_text(text)
    return into


def one_visit(root: Path, home: Path) -> dict:
    from playwright.sync_api import sync_playwright

    port = free_port()
    browser_helpers.ROOT = root  # streamlit_server runs dashboard.py from ROOT
    with browser_helpers.streamlit_server(home, port), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        t0 = time.perf_counter()
        page.goto(f"http://localhost:{port}/inspect", timeout=60_000)
        page.get_by_role("heading", name="Inspect a run").wait_for(timeout=60_000)
        seconds = time.perf_counter() - t0
        page.wait_for_timeout(1500)  # let the sidebar's first run land
        text = page.evaluate("() => document.body.innerText")
        links = page.locator("[data-testid='stSidebarNav'] a").count()
        browser.close()
    return {"seconds": seconds, "sidebar": "Active runs" in text, "page_links": links}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=3)
    args = parser.parse_args()
    for variant in ("one line per page", "none"):
        with tempfile.TemporaryDirectory() as tmp:
            root = tree(variant, Path(tmp) / "tree")
            visits = []
            for i in range(args.servers):
                home = Path(tmp) / f"home{i}"
                home.mkdir()
                visits.append(one_visit(root, home))
        median = statistics.median(v["seconds"] for v in visits)
        print(
            f"{variant:18s}: title in {median:.2f} s (median of {len(visits)} fresh servers); "
            f"sidebar shown {sum(v['sidebar'] for v in visits)}/{len(visits)}; "
            f"page links {[v['page_links'] for v in visits]}"
        )


if __name__ == "__main__":
    main()
