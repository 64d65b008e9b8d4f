"""The server settings the live Train page's throughput depends on (bench/bench_live_view.py)."""

import tomllib
from pathlib import Path

CONFIG = tomllib.loads(
    (Path(__file__).resolve().parent.parent / ".streamlit/config.toml").read_text()
)


def test_no_full_garbage_collection_after_every_fragment_run():
    # gc.collect() after each 1-second fragment rerun held the GIL the training thread needs.
    assert CONFIG["runner"]["postScriptGC"] is False


def test_no_source_file_watching():
    assert CONFIG["server"]["fileWatcherType"] == "none"
    assert CONFIG["server"]["runOnSave"] is False
