"""The training loop: determinism, thread controls, lr changes, divergence, failures."""

import threading
import time

import numpy as np
import pytest
from synthetic_data import synthetic_dataset

from netlib.config import NetConfig
from netlib.trainer import BatchEvent, EndEvent, EpochEvent, Trainer
from netlib.training_data import prepare


def _trainer(listeners=None, **changes):
    cfg = NetConfig(hidden=(16,), activation="relu", lr=0.1, epochs=3, batch_size=32).replace(
        **changes
    )
    data = prepare(synthetic_dataset(), cfg.val_fraction, cfg.seed, cfg.dtype)
    return Trainer(cfg, data, listeners)


def _collect(**changes):
    events = []
    t = _trainer([events.append], **changes)
    end = t.run()
    return t, events, end


def test_training_learns_and_reports_every_epoch():
    t, events, end = _collect(epochs=5)
    epochs = [e for e in events if isinstance(e, EpochEvent)]
    batches = [e for e in events if isinstance(e, BatchEvent)]
    assert end.status == "finished" and end.epochs_done == 5
    assert [e.epoch for e in epochs] == [1, 2, 3, 4, 5]
    assert len(batches) == 5 * batches[0].batches
    assert epochs[-1].test_acc > 0.8  # chance is 0.1
    assert epochs[-1].val_acc > 0.8
    assert epochs[-1].train_loss < epochs[0].train_loss
    assert epochs[-1].test_confusion.sum() == 200
    assert isinstance(events[-1], EndEvent)


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"optimizer": "adam", "lr": 0.01, "dropout": 0.3, "dtype": "float64"},
        {"optimizer": "momentum", "nesterov": True, "augment_shift": 1, "l2": 1e-3},
    ],
)
def test_same_seed_gives_bit_identical_runs(changes):
    t1, ev1, _ = _collect(**changes)
    t2, ev2, _ = _collect(**changes)
    for w1, w2 in zip(t1.net.params(), t2.net.params(), strict=True):
        assert w1.tobytes() == w2.tobytes()
    losses1 = [e.loss for e in ev1 if isinstance(e, BatchEvent)]
    losses2 = [e.loss for e in ev2 if isinstance(e, BatchEvent)]
    assert losses1 == losses2
    t3, _, _ = _collect(seed=1, **changes)
    assert t3.net.weights[0].tobytes() != t1.net.weights[0].tobytes()


def test_dtype_is_respected():
    t, _, _ = _collect(dtype="float64", epochs=1)
    assert all(p.dtype == np.float64 for p in t.net.params())
    t, _, _ = _collect(epochs=1)
    assert all(p.dtype == np.float32 for p in t.net.params())


def test_full_batch_runs_one_step_per_epoch():
    _, events, end = _collect(batch_size=0, epochs=4, lr=0.5)
    batches = [e for e in events if isinstance(e, BatchEvent)]
    assert end.status == "finished"
    assert len(batches) == 4 and all(b.batches == 1 for b in batches)


def _until(predicate, what: str, seconds: float = 60.0) -> None:
    """Wait for a state the test observes; the deadline is only a ceiling against hangs."""
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.001)


def test_pause_resume_and_stop_from_another_thread():
    seen = []
    t = _trainer([seen.append], epochs=2000, batch_size=8)
    thread = threading.Thread(target=t.run)
    batches = lambda: sum(isinstance(e, BatchEvent) for e in seen)  # noqa: E731
    thread.start()
    _until(lambda: batches() >= 3, "the first batches")
    t.pause()
    assert t.paused
    _until(lambda: t.held, "the batch in flight to finish")
    frozen = batches()
    time.sleep(0.2)  # held: nothing may run however long we look
    assert batches() == frozen and t.held
    t.resume()
    _until(lambda: batches() >= frozen + 3, "training to resume")
    assert not t.held
    t.stop()
    thread.join(timeout=60)
    assert not thread.is_alive()
    end = seen[-1]
    assert isinstance(end, EndEvent) and end.status == "stopped"
    assert batches() < 2000 * 19


def test_stop_while_paused_ends_the_run():
    t = _trainer(epochs=100)
    t.pause()
    thread = threading.Thread(target=t.run)
    thread.start()
    _until(lambda: t.held, "the loop to wait in its pause")
    t.stop()
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert not t.held


def test_learning_rate_change_takes_effect_on_next_batch():
    events = []

    def listener(e):
        events.append(e)
        if isinstance(e, BatchEvent) and e.step == 5:
            t.set_lr(0.0123)

    t = _trainer([listener], schedule="constant")
    t.run()
    lrs = [e.lr for e in events if isinstance(e, BatchEvent)]
    assert lrs[:5] == [0.1] * 5
    assert all(lr == pytest.approx(0.0123) for lr in lrs[5:])


def test_learning_rate_change_keeps_the_schedule_shape():
    events = []

    def listener(e):
        events.append(e)
        if isinstance(e, BatchEvent) and e.step == 1:
            t.set_lr(0.05)

    t = _trainer([listener], schedule="step", step_every=1, step_gamma=0.5, epochs=3)
    t.run()
    per_epoch = [e.lr for e in events if isinstance(e, EpochEvent)]
    assert per_epoch == pytest.approx([0.05, 0.025, 0.0125])


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), float("inf")])
def test_bad_learning_rate_change_is_refused(bad):
    t = _trainer()
    with pytest.raises(ValueError, match="learning rate"):
        t.set_lr(bad)


def test_divergence_stops_with_a_clear_reason():
    _, events, end = _collect(lr=1e3, activation="relu", init="normal", init_scale=5.0, epochs=50)
    assert end.status == "diverged"
    assert "diverged at epoch" in end.reason and "lower the learning rate" in end.reason
    assert not any(isinstance(e, EpochEvent) and not np.isfinite(e.train_loss) for e in events)


def test_exception_in_a_step_fails_the_run_with_its_message():
    def boom(e):
        if isinstance(e, BatchEvent) and e.step == 2:
            raise RuntimeError("injected fault")

    t = _trainer([boom])
    end = t.run()
    assert end.status == "failed" and "injected fault" in end.reason


def test_a_listener_failing_on_the_end_event_does_not_escape_run():
    def boom(e):
        if isinstance(e, EndEvent):
            raise OSError("disk full")

    end = _trainer([boom], epochs=1).run()
    assert end.status == "failed" and "disk full" in end.reason


# -- peak memory of the loop -------------------------------------------------------------------
def _traced_peak(cfg: NetConfig, steps: int = 4, n_train: int = 600) -> tuple[int, int]:
    """The loop's traced peak (NumPy reports its buffers to tracemalloc) for a few steps of a
    net on 28x28 images, the weights included, and memory.step_bytes for the same run."""
    import tracemalloc

    from netlib import memory

    data = prepare(synthetic_dataset(n_train=n_train, n_test=10, size=28), 0.0, 0, cfg.dtype)
    t = Trainer(cfg.replace(val_fraction=0.0), data, evaluate_test=False)

    def stop_after(e):
        if isinstance(e, BatchEvent) and e.step >= steps:
            t.stop()  # takes effect before the next batch

    t.listeners.append(stop_after)
    shape = memory.DataShape(n_train, 0, 28, 28, 10)
    tracemalloc.start()
    try:
        weights = sum(p.nbytes for p in t.net.params())
        before = tracemalloc.get_traced_memory()[0]
        end = t.run()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert end.status == "stopped", end.reason
    return weights + peak - before, memory.step_bytes(cfg.replace(val_fraction=0.0), shape)


@pytest.mark.parametrize(
    "changes",
    [
        # Gradients as big as the weights, activations small: before the fix the previous
        # step's gradients were alive while the next step built its own (1.4x this estimate).
        {"hidden": (1024,) * 4, "batch_size": 64},
        {"hidden": (1024,) * 4, "batch_size": 64, "optimizer": "adam", "lr": 1e-3},
        # Activations first: full batch with dropout, where the previous cache was kept.
        {"hidden": (512, 512), "batch_size": 0, "dropout": 0.5, "optimizer": "momentum"},
        {"hidden": (1024,), "batch_size": 256, "dtype": "float64", "augment_shift": 1},
    ],
)
def test_a_step_frees_the_previous_steps_cache_and_gradients(changes):
    """Peak traced memory of training stays near one step's working set (weights, gradients,
    optimizer state, activations) as netlib.memory estimates it: no second step's worth."""
    cfg = NetConfig(activation="relu", lr=0.01, epochs=10).replace(**changes)
    peak, estimate = _traced_peak(cfg)
    assert peak <= 1.1 * estimate, (peak, estimate)
    assert peak >= 0.7 * estimate, (peak, estimate)  # and the estimate is not padded
