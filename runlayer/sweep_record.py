"""A sweep's trials as normal runs of the run store, so that Inspect, the Pair lens and Run vs
run open any trial like any other run.

The driver process alone writes the store (a worker only sends events): a run is created when
its trial is queued, its epochs (metrics, confusion matrix, weights) are added as they arrive,
and its end is recorded with the trial's status. Runs are named after the sweep, the point and
the seed ("sweep 3f2a · lr=0.1, hidden=32 · seed 2").
"""

from __future__ import annotations

import math
import time

from netlib.config import NetConfig
from netlib.modelfile import parse_model
from netlib.sweep import describe
from netlib.sweep_trial import TrialTask
from runlayer.records import RunStatus
from runlayer.store import RunStore

_ENDS = {
    "finished": RunStatus.FINISHED,
    "stopped": RunStatus.STOPPED,
    "diverged": RunStatus.DIVERGED,
}


class SweepRecorder:
    """run_sweep's recorder: one stored run per trial."""

    def __init__(self, store: RunStore, label: str) -> None:
        self.store, self.label = store, label
        self.run_ids: dict[tuple[int, int], str] = {}
        self._configs: dict[tuple[int, int], NetConfig] = {}
        self._best: dict[tuple[int, int], tuple[float, dict]] = {}
        self._last: dict[tuple[int, int], dict] = {}  # each trial's last epoch row

    def submitted(self, task: TrialTask, point: dict) -> None:
        config = NetConfig.from_dict(task.config)
        name = f"{self.label} · {describe(point)} · seed {task.key[1] + 1}"
        self.run_ids[task.key] = self.store.create_run(config, name[:80])
        self._configs[task.key] = config

    def event(self, event: dict) -> None:
        run_id = self.run_ids.get(tuple(event.get("key", ())))
        if run_id is None:
            return
        if event["kind"] == "start":
            self.store.update_run(run_id, status=RunStatus.RUNNING, started=time.time())
        elif event["kind"] == "epoch" and "row" in event:
            self._epoch(tuple(event["key"]), run_id, event)
        elif event["kind"] == "end":
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
        net, config, meta = parse_model(event["model"])
        row = event["row"]
        self._last[key] = row
        meta = {**meta, "run_id": run_id}
        epoch = int(row["epoch"])
        self.store.save_weights(run_id, epoch, net, config, meta)
        score = next((row[k] for k in ("val_acc", "test_acc") if row.get(k) is not None), 0.0)
        best_score, best_row = self._best.get(key, (-math.inf, row))
        if score > best_score:
            best_score, best_row = score, row
            self._best[key] = (score, row)
            self.store.save_best(run_id, net, config, meta, epoch=epoch)
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
        self.store.thin_checkpoints(run_id, int(best_row["epoch"]), epoch)
