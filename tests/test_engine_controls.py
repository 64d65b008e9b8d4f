"""RunControls: the one thread-safe object a training loop is steered through."""

import threading
import time

import pytest
from synthetic_data import synthetic_dataset

from netlib.config import ConfigError, NetConfig
from netlib.controls import RunControls, check_lr
from netlib.trainer import BatchEvent, Trainer
from netlib.training_data import prepare


def _until(predicate, what, seconds=30.0):
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.001)


def _waiting(controls):
    thread = threading.Thread(target=controls.wait_while_paused)
    thread.start()
    _until(lambda: controls.held, "the wait to hold")
    return thread


def test_wait_returns_at_once_unless_paused():
    c = RunControls()
    assert not c.wait_while_paused() and not c.held


@pytest.mark.parametrize("release", ["resume", "stop"])
def test_resume_or_stop_wakes_a_paused_wait(release):
    c = RunControls()
    c.pause()
    thread = _waiting(c)
    getattr(c, release)()
    thread.join(timeout=10)
    assert not thread.is_alive() and not c.held


def test_once_stopped_a_pause_no_longer_holds():
    c = RunControls()
    c.stop()
    c.pause()
    assert c.paused and c.stopped
    assert not c.wait_while_paused()


def test_a_requested_rate_is_taken_once():
    c = RunControls()
    assert c.take_lr() is None
    assert c.set_lr(1) == 1.0 and isinstance(c.take_lr(), float)
    assert c.take_lr() is None


@pytest.mark.parametrize("lr", [0, -1.0, float("nan"), float("inf"), True, "0.1", 1e9, 0.05])
def test_rates_are_checked_by_netconfigs_own_rule(lr):
    try:
        NetConfig(lr=lr)
    except ConfigError:
        with pytest.raises(ConfigError, match="learning rate"):
            check_lr(lr)
        with pytest.raises(ValueError, match="learning rate"):
            RunControls().set_lr(lr)
    else:
        assert check_lr(lr) == lr


def test_controls_sent_before_the_trainer_exists_apply_to_it():
    cfg = NetConfig(hidden=(8,), activation="relu", epochs=50, batch_size=32)
    data = prepare(synthetic_dataset(), cfg.val_fraction, cfg.seed, cfg.dtype)
    controls = RunControls()
    controls.pause()
    controls.set_lr(0.0123)
    events = []
    t = Trainer(cfg, data, [events.append], controls)
    thread = threading.Thread(target=t.run)
    thread.start()
    _until(lambda: t.held, "the loop to hold before its first batch")
    assert events == []
    controls.resume()
    _until(lambda: len(events) >= 2, "training to start")
    controls.stop()
    thread.join(timeout=60)
    batches = [e for e in events if isinstance(e, BatchEvent)]
    assert batches[0].lr == pytest.approx(0.0123)
    assert events[-1].status == "stopped"


def test_a_batch_event_carries_the_network_being_trained():
    cfg = NetConfig(hidden=(8,), activation="relu", epochs=1, batch_size=32)
    data = prepare(synthetic_dataset(), cfg.val_fraction, cfg.seed, cfg.dtype)
    nets = []
    t = Trainer(cfg, data, [lambda e: nets.append(e.net) if isinstance(e, BatchEvent) else None])
    t.run()
    assert nets and all(n is t.net for n in nets)
