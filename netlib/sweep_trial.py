"""One trial of a sweep: one point with one seed, trained where an executor runs it.

The same function runs in a local worker process and in a Ray task, so one trial with one seed
gives the same metrics on either. It reports plain dicts (picklable, small: no network) after
each epoch and at the end, and stops between batches when told to (a pruned point).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from netlib.config import NetConfig
from netlib.sweep import Objective


@dataclass(frozen=True)
class TrialTask:
    key: tuple[int, int]  # (point index, seed index)
    config: dict[str, Any]  # NetConfig.to_dict()
    objective: str  # Objective.text()
    mnist_dir: str | None = None
    record: bool = False  # epoch events carry the metrics row, confusion and weights to store


#: The EpochEvent fields a recorded epoch carries (the run store's epoch columns).
ROW_FIELDS = (
    "epoch", "step", "train_loss", "train_acc", "val_loss", "val_acc", "test_loss", "test_acc",
    "lr", "epoch_seconds", "train_seconds", "samples_per_sec",
)  # fmt: skip


Emit = Callable[[dict[str, Any]], None]
FIRST_WEIGHTS = 10  # epochs whose weights are always sent (the store keeps the first ones)
WEIGHTS_SPACING = 1.25  # later, weights at epochs about this factor apart (log-spaced)


class WeightsSchedule:
    """Which epochs send their weights to the driver: the first ones, then log-spaced ones,
    every new best and the last. A 1,000-epoch trial on the 8x8 digits sends ~40 models, not
    1,000: the driver, which writes every trial's store, is the dashboard's own process."""

    def __init__(self, last_epoch: int) -> None:
        self.last_epoch, self.best, self.next = last_epoch, -float("inf"), FIRST_WEIGHTS + 1

    def wants(self, epoch: int, score: float | None) -> bool:
        improved = score is not None and score > self.best
        if improved:
            self.best = score
        spaced = epoch >= self.next
        if spaced:
            self.next = max(epoch + 1, int(epoch * WEIGHTS_SPACING))
        return epoch <= FIRST_WEIGHTS or epoch == self.last_epoch or improved or spaced


def run_trial(
    task: TrialTask, emit: Emit, should_stop: Callable[[], bool], data_cache=None, dataset=None
):
    """Train the task's run; emit {"kind": "epoch", ...} per epoch, then {"kind": "end", ...}.
    data_cache (a dict) keeps prepared data between trials of one worker (one seed, one set);
    dataset, when given, is the task's data set (shipped by the executor) instead of loading it."""
    from netlib.data.catalog import load_dataset
    from netlib.trainer import BatchEvent, EpochEvent, Trainer
    from netlib.training_data import prepare

    config = NetConfig.from_dict(task.config)
    objective = Objective.parse(task.objective)
    cache = data_cache if data_cache is not None else {}
    data_key = (config.dataset, config.val_fraction, config.seed, config.dtype)
    if data_key not in cache:
        cache.clear()  # one prepared set at a time: a worker's memory stays one data set
        ds = (
            dataset
            if dataset is not None
            else load_dataset(config.dataset, mnist_dir=task.mnist_dir)
        )
        cache[data_key] = prepare(ds, config.val_fraction, config.seed, config.dtype)
        cache["meta"] = {
            "dataset": config.dataset,
            "class_names": list(ds.class_names),
            "image_shape": list(ds.image_shape),
            "max_value": ds.max_value,
        }
    data = cache[data_key]
    trainer = Trainer(config, data, workers=1)
    last: dict[str, Any] = {}
    schedule = WeightsSchedule(config.epochs)

    def listen(event: object) -> None:
        if isinstance(event, BatchEvent) and should_stop():
            trainer.stop()
        elif isinstance(event, EpochEvent):
            last.update(
                kind="epoch",
                key=task.key,
                epoch=event.epoch,
                value=objective.value(event.val_acc, event.test_confusion),
                val_acc=event.val_acc,
                test_acc=event.test_acc,
                train_loss=event.train_loss,
                train_seconds=event.train_seconds,
            )
            message = dict(last)
            if task.record:  # what the driver's store needs to make the trial a normal run
                from netlib.modelfile import model_bytes

                message["row"] = {f: getattr(event, f) for f in ROW_FIELDS}
                cm = event.test_confusion
                message["confusion"] = None if cm is None else cm.tolist()
                pred = event.test_predictions
                message["predictions"] = None if pred is None else pred.tobytes()
                score = event.val_acc if event.val_acc is not None else event.test_acc
                if schedule.wants(event.epoch, score):
                    meta = {**cache["meta"], "epoch": event.epoch, "val_acc": event.val_acc,
                            "test_acc": event.test_acc}  # fmt: skip
                    message["model"] = model_bytes(event.net, config, meta)
            emit(message)

    trainer.listeners.append(listen)
    end = trainer.run()
    emit(
        {
            "kind": "end",
            "key": task.key,
            "status": end.status,
            "reason": end.reason,
            "epochs": end.epochs_done,
            "train_seconds": end.train_seconds,
            "value": last.get("value"),
            "test_acc": last.get("test_acc"),
        }
    )
