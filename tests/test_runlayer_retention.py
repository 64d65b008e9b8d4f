"""The checkpoint retention policy: bounded, first epochs kept, log-spaced, best and last kept."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from synthetic_data import synthetic_dataset

from netlib.config import NetConfig
from runlayer import RunRegistry, StoreError
from runlayer.retention import Retention, capacity, epochs_to_keep, parse_size

MB = 10**6


def simulate(epochs: int, cap: int, first: int = 10, best_at=lambda e: e) -> list[int]:
    """What a run keeps after `epochs` epochs when each epoch is saved then thinned."""
    kept: list[int] = []
    for epoch in range(1, epochs + 1):
        kept = epochs_to_keep(kept + [epoch], best_at(epoch), epoch, MB, 10**12, cap, first)
    return kept


def test_under_capacity_nothing_is_deleted():
    assert epochs_to_keep(range(1, 31), 7, 30, MB, 100 * MB, 40) == list(range(1, 31))


def test_a_long_run_keeps_the_first_epochs_then_log_spacing():
    kept = simulate(5000, cap=40, best_at=lambda e: min(e, 1234))
    assert len(kept) == 40 and kept[-1] == 5000 and 1234 in kept
    assert kept[:10] == list(range(1, 11))
    later = [e for e in kept[10:] if e != 1234]
    ratios = np.diff(np.log(later))
    ideal = math.log(5000 / 10) / len(later)
    assert ratios.max() < 3 * ideal and ratios.min() > ideal / 3  # spread evenly in log(epoch)


def test_the_byte_budget_bounds_the_count_but_best_and_last_always_stay():
    assert capacity(25 * MB, 100 * MB, 40) == 4
    assert capacity(300 * MB, 100 * MB, 40) == 2  # one checkpoint over budget: still 2
    kept = epochs_to_keep(range(1, 21), 3, 20, 25 * MB, 100 * MB, 40)
    assert len(kept) == 4 and {3, 20} <= set(kept)
    assert epochs_to_keep(range(1, 9), 5, 8, 300 * MB, 100 * MB, 40) == [5, 8]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(1, 10_000), min_size=1, max_size=120, unique=True),
    st.integers(1, 200),
    st.integers(1, 50 * MB),
    st.integers(0, 30),
    st.data(),
)
def test_any_input_gives_a_bounded_subset_with_best_and_last(saved, cap, size, first, data):
    best, last = data.draw(st.sampled_from(saved)), max(saved)
    kept = epochs_to_keep(saved, best, last, size, 200 * MB, cap, first)
    assert kept == sorted(kept) and set(kept) <= set(saved)
    assert {best, last} <= set(kept)
    assert len(kept) == min(len(saved), capacity(size, 200 * MB, cap))
    assert epochs_to_keep(kept, best, last, size, 200 * MB, cap, first) == kept  # stable


def test_budget_sizes_parse_and_bad_ones_are_a_clear_error(monkeypatch):
    # netlib.sizes' one rule, as NETLIB_MEMORY_BUDGET reads it: a bare letter is binary.
    assert parse_size("200M") == 200 * 2**20 and parse_size("1.5g") == int(1.5 * 2**30)
    assert parse_size("200MB") == 200 * MB and parse_size("2GiB") == 2 * 2**30
    assert parse_size("5000") == 5000
    for bad in ("lots", "-1M", "0", "1e9999"):
        with pytest.raises(StoreError, match="NETLIB_RUN_DISK_BUDGET=.*e.g. NETLIB_RUN_DISK"):
            parse_size(bad)
    monkeypatch.setenv("NETLIB_RUN_DISK_BUDGET", "3MB")
    assert Retention.from_env().budget_bytes == 3 * MB
    monkeypatch.setenv("NETLIB_RUN_DISK_BUDGET", "3M")
    assert Retention.from_env().budget_bytes == 3 * 2**20


def test_a_run_keeps_only_the_planned_checkpoints_and_every_epochs_metrics(tmp_path):
    reg = RunRegistry(
        tmp_path, loader=lambda i, p: synthetic_dataset(), retention=Retention(10**9, 6, 3)
    )
    try:
        config = NetConfig(dataset="s", hidden=(16,), activation="relu", epochs=30, batch_size=32)
        run_id = reg.start(config)
        assert reg.wait(run_id, 60) == "finished"
        store, record = reg.store, reg.store.get_run(run_id)
        saved = store.saved_epochs(run_id)
        assert len(saved) == 6 and saved[:3] == [1, 2, 3] and saved[-1] == 30
        assert record.best_epoch in saved
        assert [m["epoch"] for m in store.epoch_metrics(run_id)] == list(range(1, 31))
        assert set(store.confusions(run_id)) == set(range(1, 31))  # the timeline keeps all
        assert store.load_weights(run_id, "best")[2]["epoch"] == record.best_epoch
        best = tmp_path / "runs" / run_id / "best.npz"
        linked = tmp_path / "runs" / run_id / f"epoch-{record.best_epoch:04d}.npz"
        assert best.stat().st_ino == linked.stat().st_ino  # a link, not a second write
        used, count = store.disk_usage(run_id)
        assert count == 6 and 0 < used < sum(f.stat().st_size for f in best.parent.iterdir())
    finally:
        reg.close()
