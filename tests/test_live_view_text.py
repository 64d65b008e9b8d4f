"""app.live_view's status text: what the progress bar says in each phase of a run."""

import dataclasses

import pytest

from app.live_view import format_seconds, progress_text, status_line
from netlib.config import NetConfig
from runlayer.live import LiveRun


@pytest.fixture
def snap():
    return LiveRun("run1", "my run", NetConfig(epochs=10, lr=0.1)).snapshot()


def test_training_shows_epoch_batch_speed_eta_and_the_current_rate(snap):
    running = dataclasses.replace(
        snap, status="running", epoch=3, batch=5, batches=20, step=45,
        samples_per_sec=12345.6, eta_seconds=75, lr=0.0125,
    )  # fmt: skip
    text = progress_text(running)
    assert text == "epoch 3/10 · batch 5/20 · 12,346 samples/s · lr 0.0125 · ETA 1:15"
    assert running.progress == pytest.approx(45 / 200)
    assert status_line(running) == "🏃 **my run** — running"


def test_a_finished_run_has_no_eta(snap):
    done = dataclasses.replace(
        snap, status="finished", epoch=10, batch=20, batches=20, step=200, eta_seconds=3,
    )  # fmt: skip
    assert "ETA" not in progress_text(done) and done.progress == 1.0


def test_queued_and_loading_runs_say_what_they_wait_for(snap):
    queued = dataclasses.replace(snap, queue_position=2)
    assert progress_text(queued) == "waiting for a free core (#2 in line)"
    behind_a_sweep = dataclasses.replace(snap, queue_position=1, sweep_cores=2)
    assert progress_text(behind_a_sweep) == (
        "waiting for a free core (#1 in line; a sweep holds 2 cores; "
        "its next trial waits for this run)"
    )
    loading = dataclasses.replace(
        snap, status="loading", load_done=3_000_000, load_total=12_000_000, load_file="x.gz"
    )
    assert progress_text(loading) == "loading data x.gz 3.0 MB of 12.0 MB"
    assert loading.progress == 0.25


@pytest.mark.parametrize(
    "seconds, text", [(0, "0:00"), (59.6, "1:00"), (3599, "59:59"), (3600, "1h00"), (-4, "0:00")]
)
def test_format_seconds(seconds, text):
    assert format_seconds(seconds) == text
