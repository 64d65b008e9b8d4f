"""End to end in a real browser: train on the Train page, inspect a confusion, see it in Compare.

Runs `streamlit run dashboard.py` on 127.0.0.1 and drives Debian's Chromium with Playwright.
Screenshots land in docs/ (the README shows them).
"""

from __future__ import annotations

import time
import urllib.request

import pytest
from browser_helpers import (
    ROOT,
    assert_no_exception_shown,
    browser_page,
    dashboard_server,
    require_browser,
    start_named_run,
)
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from netlib.config import MAX_EPOCHS

pytestmark = [pytest.mark.browser, pytest.mark.slow]
DOCS = ROOT / "docs"
# The run trains until it is stopped: the test presses Stop once the chart was seen to grow
# GROWTHS times, so the check holds however fast the machine trains.
EPOCHS = MAX_EPOCHS
GROWTHS = 4

# Plotly keeps each chart's traces on its div: read them instead of guessing from pixels.
# Streamlit wraps titles in <b> tags (sometimes twice) and briefly keeps a stale copy of a chart.
LOSS_POINTS_JS = """() => {
  let most = -1;
  for (const gd of document.querySelectorAll('.js-plotly-plot')) {
    const raw = (gd.layout && gd.layout.title && gd.layout.title.text) || '';
    if (raw.replace(/<[^>]+>/g, '') === 'Loss' && gd.data && gd.data.length) {
      const x = gd._fullData && gd._fullData[0] && gd._fullData[0].x;
      if (x && x.length) most = Math.max(most, x[x.length - 1]);  // last plotted step
    }
  }
  return most;
}"""

# Screen position of one confusion-matrix cell (x = predicted, y = true) via plotly's axes.
CELL_JS = """([t, p]) => {
  for (const gd of document.querySelectorAll('.js-plotly-plot')) {
    const d = gd.data || [];
    if (d.length >= 2 && d[0].type === 'heatmap' && d[1].customdata) {
      const fl = gd._fullLayout, r = gd.getBoundingClientRect();
      return [r.left + fl.xaxis._offset + fl.xaxis.l2p(p),
              r.top + fl.yaxis._offset + fl.yaxis.l2p(t)];
    }
  }
  return null;
}"""

MATRIX_JS = """() => {
  for (const gd of document.querySelectorAll('.js-plotly-plot')) {
    const d = gd.data || [];
    if (d.length >= 2 && d[0].type === 'heatmap' && d[1].customdata) return gd._fullData[0].z;
  }
  return null;
}"""


def _click_cell(page, t: int, p: int, attempts: int = 3) -> None:
    """Click the confusion matrix's (true t, predicted p) cell until the page shows its samples.
    A click that lands while plotly is still laying the chart out (a busy machine) selects
    nothing; the next attempt scrolls the chart into view and reads the cell's place again."""
    shown = page.get_by_text(f"true {t}, predicted {p}").first
    for attempt in range(attempts):
        page.evaluate(MATRIX_JS.replace("return gd._fullData[0].z", "gd.scrollIntoView()"))
        page.wait_for_timeout(300 * attempt)  # the chart settles where it was scrolled
        x, y = page.evaluate(CELL_JS, [t, p])
        page.mouse.click(x, y)
        try:
            shown.wait_for(timeout=20_000)
            return
        except PlaywrightTimeout:
            if attempt == attempts - 1:
                raise


# A chart whose title (tags stripped) is the given text has been drawn.
TITLED_JS = """(title) => {
  for (const gd of document.querySelectorAll('.js-plotly-plot')) {
    const raw = (gd.layout && gd.layout.title && gd.layout.title.text) || '';
    if (raw.replace(/<[^>]+>/g, '') === title && gd._fullData && gd._fullData.length) return true;
  }
  return false;
}"""

# The Samples page's map: scatter points, each carrying its test sample's index.
MAP_POINTS_JS = """() => {
  for (const gd of document.querySelectorAll('.js-plotly-plot')) {
    const d = gd._fullData || [];
    if (d.length && d[0].type === 'scattergl' && d[0].customdata && d[0].customdata.length)
      return true;
  }
  return false;
}"""


def _choose(page, label: str, option: str) -> None:
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text=label).first
    box.click()
    page.get_by_role("option", name=option, exact=True).click()


def _goto_page(page, title: str) -> None:
    page.locator('[data-testid="stSidebarNav"] a').filter(has_text=title).first.click()
    page.wait_for_timeout(1500)


# The live Loss chart (app/live_chart.py) is updated in place: tag its element once and count
# how often the tag is gone, i.e. the browser threw the chart away and drew a new one.
LOSS_REMOUNT_JS = """() => {
  for (const gd of document.querySelectorAll('.digit-net-live-chart')) {
    if (gd.layout && gd.layout.title && gd.layout.title.text === 'Loss') {
      if (gd.__digitNetSeen) return 0;
      gd.__digitNetSeen = true;
      return 1;
    }
  }
  return -1;
}"""


EPOCH_AT_LEAST_JS = """(n) => {
  const m = document.body.innerText.match(/epoch (\\d+)\\/\\d+/);
  return m !== null && Number(m[1]) >= n;
}"""


def _watch_the_loss_curve(page, growths: int, seconds: float) -> tuple[list[int], int]:
    """Sample the last plotted batch step until the curve was seen to grow `growths` times (or
    the run ended, or `seconds` passed: a ceiling, not a guess); also count the Loss chart
    elements seen (1 when the chart was only ever updated in place)."""
    seen: list[int] = []
    mounts = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and len(seen) <= growths:
        mounts += max(0, page.evaluate(LOSS_REMOUNT_JS))
        n = page.evaluate(LOSS_POINTS_JS)
        if n > 0 and (not seen or n != seen[-1]):
            seen.append(n)
            if len(seen) == 3:
                page.screenshot(path=str(DOCS / "train-page.png"), full_page=True)
        if page.get_by_text("Finished. Test accuracy").count():
            break
        assert_no_exception_shown(page)
        page.wait_for_timeout(250)
    return seen, mounts


def _assert_plotly_js_is_served(page) -> None:
    """The live charts load plotly.js from the server (app/live_chart.py): cacheable JS."""
    [src] = page.evaluate(
        "() => [...document.scripts].map((s) => s.src).filter((s) => s.endsWith('plotly.min.js'))"
    )
    with urllib.request.urlopen(src, timeout=30) as reply:
        body = reply.read()
        assert reply.status == 200 and "javascript" in reply.headers["Content-Type"]
        assert reply.headers["Cache-Control"] == "public"
    assert len(body) > 1_000_000 and b"plotly" in body[:2000].lower()


def _largest_confusion(matrix) -> tuple[int, int]:
    if matrix[4][9] > 0:
        return 4, 9
    cells = [(v, t, p) for t, row in enumerate(matrix) for p, v in enumerate(row) if t != p]
    _, t, p = max(cells)
    return t, p


def test_train_inspect_compare_in_a_real_browser(tmp_path):
    require_browser()
    DOCS.mkdir(exist_ok=True)
    with dashboard_server(tmp_path / "home") as url, browser_page() as page:
        page.goto(url)
        page.get_by_text("Train a network").first.wait_for(timeout=30_000)
        _choose(page, "Preset", "Classic sigmoid")
        page.get_by_text("Claimed: 95.75").first.wait_for(timeout=10_000)
        epochs = page.get_by_label("Epochs", exact=True)
        epochs.fill(str(EPOCHS))
        epochs.press("Enter")
        page.wait_for_timeout(1000)
        assert f"epochs={EPOCHS}" in page.url and "preset=classic-sigmoid" in page.url
        page.get_by_role("button", name="Start training").click()

        seen, mounts = _watch_the_loss_curve(page, GROWTHS, seconds=300)
        assert len(seen) > GROWTHS, f"the loss curve grew only through {seen}"
        assert seen == sorted(seen)
        assert mounts == 1, f"the live Loss chart was drawn from scratch {mounts} times"
        _assert_plotly_js_is_served(page)
        # Two whole epochs saved (the progress line shows the third) give Inspect its weights.
        page.wait_for_function(EPOCH_AT_LEAST_JS, arg=3, timeout=120_000)
        page.get_by_role("button", name="Stop").click()
        page.get_by_text("Stopped: stopped by the user").first.wait_for(timeout=60_000)
        assert_no_exception_shown(page)

        _goto_page(page, "Inspect")
        page.get_by_text("Inspect a run").first.wait_for(timeout=20_000)
        page.wait_for_function(MATRIX_JS, timeout=30_000)
        t, p = _largest_confusion(page.evaluate(MATRIX_JS))
        _click_cell(page, t, p)
        page.wait_for_timeout(1500)
        assert_no_exception_shown(page)
        page.screenshot(path=str(DOCS / "inspect-page.png"), full_page=True)

        page.get_by_role("button", name="Open the pair lens").click()
        page.get_by_text("Pair lens").first.wait_for(timeout=20_000)
        page.get_by_text("Samples confused each way").first.wait_for(timeout=30_000)
        page.wait_for_timeout(1500)
        assert_no_exception_shown(page)
        # The lens opened on the clicked pair: its first metric names it.
        page.get_by_text(f"True {t} taken for {p}").first.wait_for(timeout=10_000)
        page.screenshot(path=str(DOCS / "pair-lens.png"), full_page=True)

        _goto_page(page, "Samples")
        page.wait_for_function(TITLED_JS, arg="When each class's samples were learned",
                               timeout=30_000)  # fmt: skip
        page.locator('[data-testid="stButtonGroup"] button').filter(
            has_text="Embedding map"
        ).click()
        page.wait_for_function(MAP_POINTS_JS, timeout=30_000)
        page.wait_for_timeout(1000)
        assert_no_exception_shown(page)
        page.screenshot(path=str(DOCS / "samples-map.png"), full_page=True)

        _goto_page(page, "Compare runs")
        # The table is drawn on a canvas; its accessible copy (hidden cells) carries the text.
        cell = page.locator("[role=gridcell]").filter(has_text="mnist-sample 64 sgd lr=0.5")
        cell.first.wait_for(state="attached", timeout=20_000)
        assert_no_exception_shown(page)
        assert page.errors == [], page.errors


def test_a_fresh_server_opens_a_deep_link_with_the_dashboard_navigation(tmp_path):
    """Streamlit would run pages/inspect.py alone on a new server; it must go through navigation."""
    require_browser()
    with dashboard_server(tmp_path / "home") as url, browser_page() as page:
        page.goto(url + "/inspect")
        page.get_by_text("Inspect a run").first.wait_for(timeout=30_000)
        page.get_by_text("Active runs").first.wait_for(timeout=10_000)
        nav = page.locator('[data-testid="stSidebarNav"] a').all_inner_texts()
        assert [n.split()[-1] for n in nav][:3] == ["Train", "Data", "Inspect"], nav
        assert "dashboard" not in " ".join(nav)
        assert_no_exception_shown(page)


# The live feature-map chart (its panels are titled with the margin's gradient): a checksum
# of the first layer's output, to see the maps change as the network learns.
FEATURE_MAPS_JS = """() => {
  for (const gd of document.querySelectorAll('.js-plotly-plot')) {
    const notes = (gd.layout && gd.layout.annotations) || [];
    if (notes.some((a) => String(a.text).startsWith('∂(logit 4')) && gd.data && gd.data.length) {
      const z = gd._fullData && gd._fullData[0] && gd._fullData[0].z;
      if (!z) return null;
      let sum = 0;
      for (const row of z) for (const v of row) if (Number.isFinite(v)) sum += v;
      return sum;
    }
  }
  return null;
}"""


SELECTED_CELL_JS = """() => {
  const cell = document.querySelector('[id^="glide-cell-"][aria-selected="true"]');
  return cell ? cell.id : null;
}"""


def _edit_builder_cell(page, column: int, row: int, value: str) -> None:
    """Type `value` into the layer builder's cell (column, row) as a person does with the
    keyboard: click a cell, move with the arrow keys to the one wanted, open its editor,
    replace the text, press Enter. The grid is a canvas; its accessible table (cells
    glide-cell-<column>-<row>, the selected one aria-selected) says which cell is selected,
    so the moves are checked, not computed from pixels."""
    builder = page.locator('[data-testid="stExpander"]').filter(has_text="Layer builder")
    grid = builder.locator('[data-testid="stDataFrame"]').first
    grid.wait_for(timeout=30_000)
    grid.scroll_into_view_if_needed()  # a click must not scroll the page under the pointer
    page.wait_for_timeout(1000)  # the page below it is still being laid out
    target, before = f"glide-cell-{column}-{row}", "none"
    for _ in range(30):
        selected = page.evaluate(SELECTED_CELL_JS)
        if selected == target:
            break
        if selected is None or selected == before:  # nothing selected, or the grid lost focus
            box = grid.bounding_box()  # click the first row's first cell, below the header
            page.mouse.click(box["x"] + 60, box["y"] + 35 + 17)
            before = "none"
            page.wait_for_timeout(300)
            continue
        before = selected
        c, r = (int(n) for n in selected.split("-")[2:])
        if r != row:
            page.keyboard.press("ArrowDown" if r < row else "ArrowUp")
        else:
            page.keyboard.press("ArrowRight" if c < column else "ArrowLeft")
        page.wait_for_timeout(400)
    assert page.evaluate(SELECTED_CELL_JS) == target, f"could not select {target}"
    page.keyboard.press("Enter")  # opens the cell's editor
    # Keys typed before the editor is open are lost (seen under load): wait for its input box.
    editor = page.locator("textarea.gdg-input, input.gdg-input").first
    editor.wait_for(state="visible", timeout=10_000)
    editor.fill(value)
    page.keyboard.press("Enter")


def test_build_watch_and_dissect_a_cnn_in_a_real_browser(tmp_path):
    require_browser()
    DOCS.mkdir(exist_ok=True)
    with dashboard_server(tmp_path / "home") as url, browser_page() as page:
        # An MLP run first, for Run vs run at the end.
        start_named_run(page, f"{url}/?hidden=32&activation=relu&epochs=2&lr=0.1", "the mlp")
        page.get_by_text("Finished. Test accuracy").first.wait_for(timeout=300_000)

        link = f"{url}/?layers=conv8k5+pool2+dense16&activation=relu&epochs={EPOCHS}&lr=0.1"
        layers = page.get_by_label("Layers (replaces the hidden widths)", exact=True)
        for attempt in range(3):  # a click on a canvas grid can land before it settles
            page.goto(link)  # each attempt on the table as the link draws it
            page.get_by_text("Train a network").first.wait_for(timeout=30_000)
            page.get_by_text("Network: 5 layers").first.wait_for(timeout=30_000)
            _edit_builder_cell(page, column=3, row=2, value="32")  # the dense layer's units
            try:  # the box and the link follow the table
                page.wait_for_function("() => location.href.includes('dense32')", timeout=10_000)
                break
            except PlaywrightTimeout:
                assert attempt < 2, "three edits of the layer builder did not reach the link"
        deadline = time.monotonic() + 30  # the box is redrawn right after the link changes
        while layers.input_value() != "conv8k5 pool2 dense32" and time.monotonic() < deadline:
            page.wait_for_timeout(200)
        assert layers.input_value() == "conv8k5 pool2 dense32"
        page.get_by_text("Network: 5 layers").first.click()
        page.wait_for_timeout(1500)
        assert_no_exception_shown(page)
        page.screenshot(path=str(DOCS / "layer-builder.png"), full_page=True)

        box = page.get_by_label("Run name (optional)")
        box.fill("the cnn")
        box.press("Enter")
        page.wait_for_timeout(800)  # the rerun that takes the name
        page.get_by_role("button", name="Start training").click()
        page.get_by_text("the cnn").first.wait_for(timeout=30_000)  # the run started
        page.wait_for_function(EPOCH_AT_LEAST_JS, arg=2, timeout=300_000)
        page.get_by_text("Feature maps", exact=True).first.click()
        page.wait_for_function(FEATURE_MAPS_JS, timeout=60_000)
        first = page.evaluate(FEATURE_MAPS_JS)
        changed = (
            f"() => {{ const s = ({FEATURE_MAPS_JS})(); return s !== null && s !== {first}; }}"
        )
        page.wait_for_function(changed, timeout=120_000)  # the maps move as the network learns
        assert_no_exception_shown(page)
        page.screenshot(path=str(DOCS / "feature-maps.png"), full_page=True)
        page.wait_for_function(EPOCH_AT_LEAST_JS, arg=3, timeout=300_000)
        page.get_by_role("button", name="Stop").click()
        page.get_by_text("Stopped: stopped by the user").first.wait_for(timeout=60_000)

        _goto_page(page, "Inspect")
        page.get_by_text("Inspect a run").first.wait_for(timeout=20_000)
        page.wait_for_function(MATRIX_JS, timeout=30_000)
        _click_cell(page, 4, 9)  # the 4s taken for 9s (however many)
        assert_no_exception_shown(page)
        page.get_by_role("button", name="Open the pair lens").click()
        page.get_by_text("True 4 taken for 9").first.wait_for(timeout=30_000)
        assert_no_exception_shown(page)

        _goto_page(page, "Run vs run")
        page.get_by_text("Run A (before)").first.wait_for(timeout=20_000)
        # The two runs side by side: what the CNN fixed of the MLP's mistakes and introduced.
        page.get_by_text("B fixed").first.wait_for(timeout=60_000)
        assert_no_exception_shown(page)
        body = page.inner_text("body")
        assert "Run A test accuracy" in body and "Run B test accuracy" in body
        assert page.errors == [], page.errors


SWEEP_FILLS_JS = """() => {
  for (const gd of document.querySelectorAll('.js-plotly-plot')) {
    const raw = (gd.layout && gd.layout.title && gd.layout.title.text) || '';
    if (raw.replace(/<[^>]+>/g, '').startsWith("Each point's curve"))
      return (gd.data || []).filter((t) => t.fill === 'toself').length;
  }
  return -1;
}"""


def test_a_sweep_runs_on_its_page_with_seed_bands(tmp_path):
    """The Sweep page's default sweep (two axes, two seeds a point) on the 8x8 digits: it
    finishes, shows one seed band per point and the verdict; the screenshot is the README's."""
    require_browser()
    DOCS.mkdir(exist_ok=True)
    with dashboard_server(tmp_path / "home") as url, browser_page() as page:
        page.goto(url)
        page.get_by_text("Train a network").first.wait_for(timeout=30_000)
        _goto_page(page, "Sweep")
        page.get_by_role("button", name="Start the sweep").click()
        page.get_by_text("· finished on local").first.wait_for(timeout=600_000)
        page.wait_for_function(f"() => ({SWEEP_FILLS_JS})() === 6", timeout=60_000)
        page.get_by_text("Best: ").first.wait_for(timeout=10_000)
        page.wait_for_timeout(1500)
        assert_no_exception_shown(page)
        page.screenshot(path=str(DOCS / "sweep-page.png"), full_page=True)
        assert page.errors == [], page.errors
