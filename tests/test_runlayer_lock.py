"""One owner per data directory: a second process opens the store read-only and never marks
the owner's live runs; the lock goes with the owner, even when it is killed."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from synthetic_data import synthetic_dataset

from runlayer import RunRegistry, RunStore, StoreError

ROOT = Path(__file__).resolve().parents[1]
OWNER = """
import sys, time
sys.path[:0] = [{root!r}, {tests!r}]
from synthetic_data import synthetic_dataset
from netlib.config import NetConfig
from runlayer import RunRegistry
reg = RunRegistry({home!r}, loader=lambda i, p: synthetic_dataset())
reg.start(NetConfig(dataset="s", hidden=(16,), activation="relu", epochs=5000, batch_size=32))
time.sleep(120)
"""


def _wait(predicate, seconds, what):
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def _running(home) -> bool:
    try:
        store = RunStore(home)
    except StoreError:
        return False
    try:
        runs = store.list_runs()
        return bool(runs) and runs[0].status == "running" and runs[0].epochs_done >= 2
    finally:
        store.close()


def test_a_second_process_is_read_only_and_leaves_the_live_run_alone(tmp_path):
    home = tmp_path / "home"
    code = OWNER.format(root=str(ROOT), tests=str(ROOT / "tests"), home=str(home))
    owner = subprocess.Popen([sys.executable, "-c", code])
    try:
        _wait(lambda: _running(home), 60, "the owner never trained two epochs")
        second = RunRegistry(home, loader=lambda i, p: synthetic_dataset())
        try:
            assert not second.store.owned
            [run] = second.store.list_runs()
            assert run.status == "running"  # not marked interrupted by the second process
            assert f"PID {owner.pid}" in second.store.read_only_reason()
            with pytest.raises(
                StoreError, match=f"another digit-net process \\(PID {owner.pid}\\)"
            ):
                second.store.rename(run.id, "hijacked")
            with pytest.raises(StoreError, match="can only show it"):
                second.store.mark_interrupted()
            assert list((home / "runs" / run.id).glob("epoch-*.npz"))
            time.sleep(0.3)
            assert second.store.get_run(run.id).status == "running"
        finally:
            second.close()
    finally:
        os.kill(owner.pid, signal.SIGKILL)
        owner.wait(10)
    reg = RunRegistry(home, loader=lambda i, p: synthetic_dataset())  # the dead owner's lock
    try:  # went with it: this one owns the directory and finds the run interrupted
        assert reg.store.owned
        [run] = reg.store.list_runs()
        assert run.status == "interrupted"
    finally:
        reg.close()


def test_in_one_process_a_second_store_is_read_only_until_the_first_closes(tmp_path):
    first = RunStore(tmp_path)
    assert first.claim()
    second = RunStore(tmp_path)
    assert not second.claim() and f"PID {os.getpid()}" in second.read_only_reason()
    first.close()
    assert second.claim() and second.owned
    second.close()
