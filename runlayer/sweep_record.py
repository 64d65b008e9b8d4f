"""A sweep's trials as normal runs of the run store, so that Inspect, the Pair lens and Run vs
run open any trial like any other run.

The driver process alone writes the store (a worker only sends events): a run is created when
its trial is queued, its epochs (metrics, confusion matrix, weights) are added as they arrive,
and its end is recorded with the trial's status. Runs are named after the sweep, the point and
the seed ("sweep 3f2a · lr=0.1, hidden=32 · seed 2"). With a SweepStore, the sweep's own
tables hear the same: each point's state, each trial's status, objective, seconds and where it
ran, and its objective per epoch (the page's curves).
"""

from __future__ import annotations

import contextlib
import math
import time

import numpy as np

from netlib.config import NetConfig
from netlib.modelfile import parse_model
from netlib.sweep import PointResult, describe
from netlib.sweep_trial import TrialTask
from runlayer.errors import RunError
from runlayer.records import RunStatus
from runlayer.store import RunStore
from runlayer.sweep_store import SweepStore

_ENDS = {
    "finished": RunStatus.FINISHED,
    "stopped": RunStatus.STOPPED,
    "diverged": RunStatus.DIVERGED,
}


class SweepRecorder:
    """run_sweep's recorder: one stored run per trial."""

    def __init__(
        self,
        store: RunStore,
        label: str,
        sweeps: SweepStore | None = None,
        sweep_id: str = "",
        run_ids: dict[tuple[int, int], str] | None = None,
    ) -> None:
        """run_ids: a resumed sweep's trials so far (a trial queued again replaces its run)."""
        self.store, self.label = store, label
        self.sweeps, self.sweep_id = sweeps, sweep_id
        self.run_ids: dict[tuple[int, int], str] = dict(run_ids or {})
        self._configs: dict[tuple[int, int], NetConfig] = {}
        self._best: dict[tuple[int, int], tuple[float, dict]] = {}
        self._last: dict[tuple[int, int], dict] = {}  # each trial's last epoch row

    def submitted(self, task: TrialTask, point: dict) -> None:
        config = NetConfig.from_dict(task.config)
        name = f"{self.label} · {describe(point)} · seed {task.key[1] + 1}"
        earlier = self.run_ids.get(task.key)
        if earlier is not None:  # an unfinished trial of an interrupted sweep, run again
            with contextlib.suppress(RunError):
                self.store.delete(earlier)
        self.run_ids[task.key] = self.store.create_run(config, name[:80])
        self._configs[task.key] = config
        self._trial(task.key, run_id=self.run_ids[task.key], status="queued", value=None,
                    train_seconds=None, place="", reason="")  # fmt: skip

    def point(self, index: int, result: PointResult) -> None:
        """A point began, was pruned or ended (run_sweep tells)."""
        if self.sweeps is not None:
            self.sweeps.point(self.sweep_id, index, result)

    def _trial(self, key, **fields) -> None:
        if self.sweeps is not None:
            self.sweeps.trial(self.sweep_id, key[0], key[1], **fields)

    def event(self, event: dict) -> None:
        run_id = self.run_ids.get(tuple(event.get("key", ())))
        if run_id is None:
            return
        key = tuple(event["key"])
        if event["kind"] == "start":
            self.store.update_run(run_id, status=RunStatus.RUNNING, started=time.time())
            self._trial(key, status="running", place=str(event.get("where", ""))[:200])
        elif event["kind"] == "epoch" and "row" in event:
            self._epoch(key, run_id, event)
            if self.sweeps is not None:
                self.sweeps.epoch(self.sweep_id, key[0], key[1], event["epoch"], event["value"])
        elif event["kind"] == "end":
            self._trial(
                key, status=event["status"], value=event.get("value"),
                train_seconds=event.get("train_seconds"), reason=str(event.get("reason", ""))[:500],
            )  # fmt: skip
            status = _ENDS.get(event["status"], RunStatus.FAILED)
            last = self._last.get(tuple(event["key"]), {})
            self.store.update_run(
                run_id,
                status=status,
                reason=str(event.get("reason", ""))[:500],
                ended=time.time(),
                final_val_acc=last.get("val_acc"),
                final_test_acc=last.get("test_acc"),
            )

    def _epoch(self, key, run_id: str, event: dict) -> None:
        """One epoch's row and confusion; its weights when the trial sent them (its first
        epochs, log-spaced later ones, every new best and the last: netlib.sweep_trial)."""
        row = event["row"]
        self._last[key] = row
        epoch = int(row["epoch"])
        model = None
        if "model" in event:
            net, config, meta = parse_model(event["model"])
            model = (net, config, {**meta, "run_id": run_id})
            self.store.save_weights(run_id, epoch, *model)
        score = next((row[k] for k in ("val_acc", "test_acc") if row.get(k) is not None), 0.0)
        best_score, best_row = self._best.get(key, (-math.inf, row))
        if score > best_score and model is not None:
            best_score, best_row = score, row
            self._best[key] = (score, row)
            self.store.save_best(run_id, *model, epoch=epoch)
        if event.get("predictions"):  # one byte per test sample: the sample histories
            predicted = np.frombuffer(event["predictions"], np.uint8)
            self.store.save_predictions(run_id, epoch, predicted)
        self.store.add_epoch(
            run_id,
            row,
            event.get("confusion"),
            epochs_done=epoch,
            train_seconds=row["train_seconds"],
            best_epoch=int(best_row["epoch"]),
            best_val_acc=best_row.get("val_acc"),
            best_test_acc=best_row.get("test_acc"),
        )
        if model is not None:
            self.store.thin_checkpoints(run_id, int(best_row["epoch"]), epoch)
