"""Load: eight tabs start a run at once on one server; every run finishes, queued beyond one per
core, with only its own metrics, while pages keep answering. Prints the latencies it measures."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time

import numpy as np
import pytest
from reliability_helpers import (
    ACTIVE_TRAINING,
    CHROMIUM,
    CHROMIUM_ARGS,
    StatusSampler,
    button,
    free_port,
    get,
    most_at_once,
    npz_bytes,
    require_chromium,
    reset_app_state,
    session,
    shut_down_app_state,
    streamlit_server,
    texts,
)

from app import state, tab_state
from netlib.data.catalog import load_dataset
from netlib.trainer import EpochEvent, Trainer
from netlib.training_data import prepare
from runlayer import ACTIVE_STATUSES, RunStore, worker

pytestmark = pytest.mark.slow
TABS = 8
FRONTEND_DELTA_CRASH = "page error: Bad delta path index"  # Streamlit's frontend, not ours
SUBSET = 2000  # images of the bundled MNIST sample, uploaded as one .npz


@pytest.fixture
def fresh_server(tmp_path, monkeypatch):
    monkeypatch.setenv("NETLIB_HOME", str(tmp_path / "home"))
    reset_app_state()
    yield
    shut_down_app_state()


def _subset_upload() -> bytes:
    ds = load_dataset("mnist-sample")
    pick = np.random.default_rng(0).permutation(len(ds.train_labels))[:SUBSET]
    return npz_bytes(x=ds.train_images[pick], y=ds.train_labels[pick])


def _gate(monkeypatch) -> threading.Event:
    """Hold every started run before its first batch, so all eight clicks land 'at once'."""
    release, real_prepare = threading.Event(), worker.prepare

    def held_prepare(*args, **kwargs):
        assert release.wait(60), "the load test never released the runs"
        return real_prepare(*args, **kwargs)

    monkeypatch.setattr(worker, "prepare", held_prepare)
    return release


def _timed_run(at, latencies: list[float]) -> None:
    t0 = time.perf_counter()
    at.run()
    latencies.append(time.perf_counter() - t0)
    assert not at.exception, at.exception


def test_eight_tabs_start_at_once_and_every_run_finishes_with_its_own_metrics(
    fresh_server, monkeypatch
):
    cores = os.cpu_count() or 1
    tabs = [session() for _ in range(TABS)]
    for at in tabs:
        at.run()
    # Tab 0 uploads the subset; every tab then trains on it (the registry is shared).
    tabs[0].file_uploader(key="upload_files").set_value(
        ("subset.npz", _subset_upload(), "application/octet-stream")
    )
    tabs[0].run()
    button(tabs[0], "Add data set").click().run()
    assert any("Added" in s for s in texts(tabs[0].success)), texts(tabs[0].error)
    dataset_id = tabs[0].selectbox(key="f_dataset").value
    assert dataset_id.startswith("upload-")

    widths = [16 + 4 * i for i in range(TABS)]
    for i, at in enumerate(tabs):
        at.run()
        at.selectbox(key="f_dataset").set_value(dataset_id)
        at.text_input(key="f_hidden").set_value(str(widths[i]))
        at.number_input(key="f_epochs").set_value(2)
        at.number_input(key="f_seed").set_value(i)
        at.text_input(key="f_name").set_value(f"tab {i}")
        at.run()
        assert not at.error and not at.exception

    registry = state.get_registry()
    assert registry.max_parallel == cores  # the default: one training thread per core
    release = _gate(monkeypatch)
    sampler = StatusSampler(registry)
    sampler.start()
    try:
        for at in tabs:
            button(at, "Start training").click().run()
            assert not at.exception and not at.error, texts(at.error)
        run_ids = [at.session_state[tab_state.WATCHED_RUN_KEY] for at in tabs]
        assert len(set(run_ids)) == TABS
        statuses = [registry.snapshot(r).status for r in run_ids]
        waiting = max(0, TABS - cores)
        assert statuses.count("queued") == waiting, statuses
        assert [registry.snapshot(r).queue_position for r in run_ids[TABS - waiting :]] == list(
            range(1, waiting + 1)
        )
        if waiting:  # a tab opened now lists the extra runs in its sidebar as waiting
            opened = session()
            opened.run()
            assert sum("· queued" in m for m in texts(opened.sidebar.markdown)) == waiting
        release.set()

        latencies: list[float] = []  # every page rerun of every tab during the load
        new_tab: list[float] = []  # a tab opened during the load, until its page is drawn
        deadline = time.monotonic() + 120
        while registry.active() and time.monotonic() < deadline:
            for at in tabs:
                _timed_run(at, latencies)
            opened = session()
            _timed_run(opened, new_tab)
            assert texts(opened.title) == ["Train a network"]
    finally:
        release.set()
        sampler.stop()

    assert registry.active() == [], "runs still training after 120 s"
    ends = [registry.snapshot(r) for r in run_ids]
    at_once = most_at_once([(snap.started, snap.ended) for snap in ends])
    print(
        f"\n[load] {TABS} tabs, {cores} cores: worst page rerun {max(latencies):.2f} s "
        f"(median {np.median(latencies):.2f} s over {len(latencies)}); worst new tab "
        f"{max(new_tab):.2f} s over {len(new_tab)}; most runs training at once "
        f"{at_once} (sampled: {sampler.most_training}); {len(sampler.samples)} samples"
    )
    assert at_once <= cores
    assert sampler.saw_queued == (cores < TABS)
    assert max(latencies + new_tab) < 30

    store, data = registry.store, registry.dataset(dataset_id)
    for i, (at, run_id) in enumerate(zip(tabs, run_ids, strict=True)):
        record = store.get_run(run_id)
        assert (record.name, record.status, record.epochs_done) == (f"tab {i}", "finished", 2)
        assert record.config.hidden == (widths[i],) and record.config.seed == i
        assert record.config.dataset == dataset_id
        stored = store.epoch_metrics(run_id)
        assert [m["epoch"] for m in stored] == [1, 2]
        assert list(registry.snapshot(run_id).metrics) == stored
        assert store.load_weights(run_id, "last")[0].sizes == [784, widths[i], 10]
        expected: list = []
        Trainer(record.config, prepare(data, 0.1, i, "float32"), [expected.append]).run()
        expected = [e.train_loss for e in expected if isinstance(e, EpochEvent)]
        assert [m["train_loss"] for m in stored] == pytest.approx(expected, rel=1e-4)
        at.run()
        assert any(f"**tab {i}**" in m for m in texts(at.markdown))  # each tab shows its own run
        assert any("Finished" in s for s in texts(at.success))
    assert store.integrity_check() == "ok"


def _db_statuses(home) -> list[tuple[str, str]]:
    """(config, status) of every run, read straight from the server's SQLite file."""
    db = home / "runs.sqlite3"
    if not db.exists():
        return []
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as con:
            return con.execute("SELECT config, status FROM runs ORDER BY rowid").fetchall()
    except sqlite3.OperationalError:  # tables not created yet
        return []


def _shows(page, text: str, timeout_ms: int = 30_000) -> bool:
    """Whether the page shows `text` within the timeout: a tab redraws on its own poll, so
    under load it can lag a few seconds behind the store."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.get_by_text(text).first.wait_for(timeout=timeout_ms)
        return True
    except PlaywrightTimeout:
        return False


def _record_events(page) -> list[str]:
    """Crashes, page errors and console errors of a tab, for the failure message."""
    seen: list[str] = []
    t0 = time.monotonic()

    def socket(ws) -> None:  # when the tab's websocket to the server opens and closes
        seen.append(f"{time.monotonic() - t0:.1f}s ws open {ws.url[-30:]}")
        ws.on("close", lambda _: seen.append(f"{time.monotonic() - t0:.1f}s ws closed"))

    page.on("websocket", socket)
    page.on("load", lambda _: seen.append(f"{time.monotonic() - t0:.1f}s page load"))
    page.on("crash", lambda _: seen.append("renderer crashed"))
    page.on("pageerror", lambda e: seen.append(f"page error: {e}"))
    page.on("console", lambda m: m.type == "error" and seen.append(f"console: {m.text[:200]}"))
    return seen


def _what_it_shows(page, events: list[str]) -> str:
    """A tab's visible text (or why there is none) and its recorded events."""
    try:
        text = page.evaluate("() => document.body.innerText.slice(0, 600)")
    except Exception as exc:  # noqa: BLE001 - a crashed or hung tab: say so in the failure
        text = f"<no text: {type(exc).__name__}: {str(exc)[:200]}>"
    lifecycle = [e for e in events if not e.startswith("console:")]  # loads, sockets, crashes
    console = [e for e in events if e.startswith("console:")]
    errors = f"{len(console)} console errors, last: {console[-3:]}"
    return f"{page.url}\n{text}\nevents: {lifecycle[-20:]} + {errors}"


@pytest.mark.browser
def test_real_server_answers_pages_while_tabs_runs_train(tmp_path):
    """The real server: a first tab starts a long run and closes (runs outlive their tab), then
    eight more tabs each start a run and stay open, watching it live. While they train, GETs
    and a newly opened tab are answered; at the end a new tab finds the long run in the sidebar
    and stops it mid-epoch. (The AppTest test above covers eight clicks at the same moment.)"""
    require_chromium()
    from playwright.sync_api import sync_playwright

    cores, home, port = os.cpu_count() or 1, tmp_path / "home", free_port()
    home.mkdir()
    url = f"http://localhost:{port}"
    http: list[tuple[str, float]] = []
    failures: list[str] = []
    samples: list[list[str]] = []
    stop = threading.Event()

    def watch():  # page requests and a look at the store, several times a second
        while not stop.is_set():
            for path in ("/_stcore/health", "/"):
                try:
                    status, seconds = get(url + path, timeout=60)
                    http.append((path, seconds))
                    if status != 200:
                        failures.append(f"{path}: HTTP {status}")
                except OSError as exc:
                    failures.append(f"{path}: {exc}")
            samples.append([s for _, s in _db_statuses(home)])
            stop.wait(0.2)

    widths = [16 + 8 * i for i in range(TABS)]
    events: dict = {}
    watcher = threading.Thread(target=watch, daemon=True)
    with streamlit_server(home, port), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            first = browser.new_page(viewport={"width": 1100, "height": 900})
            first.goto(f"{url}/?hidden=12&epochs=5000&batch_size=16", timeout=120_000)
            first.get_by_role("button", name="Start training").click(timeout=120_000)
            first.get_by_text("mnist-sample 12 sgd").first.wait_for(timeout=60_000)
            first.close()
            watcher.start()
            t0 = time.perf_counter()
            watching = []
            for i, width in enumerate(widths):  # tab after tab: open, start, keep watching
                page = browser.new_page(viewport={"width": 1100, "height": 900})
                events[page] = _record_events(page)
                page.goto(f"{url}/?hidden={width}&epochs=3&seed={i}", timeout=120_000)
                page.get_by_role("button", name="Start training").click(timeout=120_000)
                page.get_by_text(f"mnist-sample {width} sgd").first.wait_for(timeout=60_000)
                watching.append(page)
            tabs = time.perf_counter() - t0
            extra = browser.new_page()
            t0 = time.perf_counter()
            extra.goto(url, timeout=120_000)
            extra.get_by_text("Train a network").wait_for(timeout=60_000)
            new_tab = time.perf_counter() - t0
            extra.close()
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                rows = _db_statuses(home)[1:]
                if len(rows) == TABS and all(s not in ACTIVE_STATUSES for _, s in rows):
                    break
                time.sleep(0.2)
            not_shown, frontend_crashes = [], []
            for page in watching:
                if _shows(page, "Finished. Test accuracy"):
                    continue
                crashed = any(FRONTEND_DELTA_CRASH in e for e in events[page])
                (frontend_crashes if crashed else not_shown).append(
                    _what_it_shows(page, events[page])
                )
            for page in watching:
                page.close()
            last = browser.new_page(viewport={"width": 1100, "height": 900})  # a later visit
            last.goto(url, timeout=120_000)
            last.get_by_role("button", name="Watch").click(timeout=60_000)  # from the sidebar
            last.get_by_role("button", name="Stop").click(timeout=60_000)
            last.get_by_text("Stopped: stopped by the user").wait_for(timeout=60_000)
        finally:
            stop.set()
            watcher.join(70)
            browser.close()
    rows = _db_statuses(home)
    worst = {path: max(s for q, s in http if q == path) for path in ("/_stcore/health", "/")}
    print(
        f"\n[load/browser] {TABS} tabs + 1 long run, {cores} cores: tabs opened, started and "
        f"left watching in {tabs:.1f} s; a new tab drew its title in {new_tab:.2f} s; worst GET "
        f"/_stcore/health {worst['/_stcore/health']:.2f} s, GET / {worst['/']:.2f} s over "
        f"{len(http)} requests; most training at once "
        f"{max(sum(s in ACTIVE_TRAINING for s in x) for x in samples)}; queued seen "
        f"{any('queued' in x for x in samples)}"
    )
    assert failures == []
    assert [s for _, s in rows] == ["stopped"] + ["finished"] * TABS
    log = (home.parent / f"streamlit-{port}.log").read_text(errors="replace")[-3000:]
    assert not_shown == [], f"{not_shown}\nserver log:\n{log}"  # each tab saw its run end
    # Streamlit's own frontend, under this load, used to throw on a fragment's delta and drop
    # the tab's connection (about one stressed run in three; once two tabs of one CI run).
    # app/fragments.py lays the polling fragments out so that it should not (0 in 5 runs of
    # this test since, 3 of them beside a CPU burner per core). Should it still happen, the
    # run is unharmed (checked above and below); one such tab is reported, two fail.
    if frontend_crashes:
        print(f"[load/browser] Streamlit frontend delta error in a tab: {frontend_crashes}")
    assert len(frontend_crashes) <= 1, frontend_crashes
    assert sorted(json.loads(c)["hidden"][0] for c, _ in rows[1:]) == widths
    assert all(sum(s in ACTIVE_TRAINING for s in x) <= cores for x in samples)
    assert max(worst.values()) < 15 and new_tab < 30
    store = RunStore(home)  # the run stopped in the browser left a consistent record
    [long_run] = [r for r in store.list_runs() if r.status == "stopped"]
    epochs = [m["epoch"] for m in store.epoch_metrics(long_run.id)]
    assert epochs == list(range(1, long_run.epochs_done + 1))
    saved = store.saved_epochs(long_run.id)  # thinned (runlayer/retention.py): last kept
    assert epochs[-1] in saved and set(saved) <= set(epochs)
    assert store.integrity_check() == "ok"
    store.close()
