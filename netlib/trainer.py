"""The training loop: a plain loop observed through events, steerable from another thread.

The loop knows nothing about the dashboard, the run store or the command line: each of them
is a listener. It is steered through a RunControls (netlib.controls: pause, resume, stop,
learning rate), thread-safe, taking effect before the next batch; whoever starts the run may
create it first and keep it.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from netlib import nets
from netlib.blas import blas_threads
from netlib.config import NetConfig
from netlib.controls import RunControls
from netlib.losses import LOSSES
from netlib.metrics import confusion_matrix
from netlib.nets import Network
from netlib.optimizers import make_optimizer
from netlib.schedules import SCHEDULES
from netlib.sharding import ShardedStack, shardable
from netlib.training_data import PreparedData, random_shift


@dataclass(frozen=True)
class BatchEvent:
    epoch: int  # 1-based
    batch: int  # 1-based within the epoch
    batches: int  # per epoch
    step: int  # batches since the start
    loss: float
    lr: float
    # The network being trained, not a copy: it changes with the next batch, so a listener
    # that keeps it (a live heatmap) keeps net.copy(). Copying costs, so do it only now and then.
    net: Network = field(repr=False, compare=False)


@dataclass(frozen=True)
class EpochEvent:
    epoch: int
    epochs: int
    step: int
    train_loss: float  # mean of the epoch's batch losses (training mode)
    train_acc: float
    val_loss: float | None
    val_acc: float | None
    test_loss: float | None
    test_acc: float | None
    test_confusion: np.ndarray | None
    test_predictions: np.ndarray | None  # (n_test,) uint8 predicted classes: sample histories
    lr: float
    epoch_seconds: float  # training time of this epoch (no evaluation)
    train_seconds: float  # training time since the start (no evaluation)
    samples_per_sec: float
    net: Network  # a snapshot: listeners may keep it


@dataclass(frozen=True)
class EndEvent:
    status: str  # finished | stopped | diverged | failed
    reason: str
    epochs_done: int
    train_seconds: float


Listener = Callable[[object], None]

# A loss this many times the first batch's is a run that has blown up, even while still finite
# (a saturated or dead network keeps a finite but meaningless loss).
DIVERGENCE_FACTOR = 100.0


class Trainer:
    def __init__(
        self,
        config: NetConfig,
        data: PreparedData,
        listeners: list[Listener] | None = None,
        controls: RunControls | None = None,
        *,
        evaluate_test: bool = True,
        workers: int | None = None,
    ) -> None:
        """controls: how other threads steer this run (a new RunControls if not given).
        workers: threads for a convolutional stack's shards (netlib.sharding); default: as
        many as numpy's BLAS threads, so a process that gives each run one core (the
        dashboard) keeps it at one. The weights never depend on it."""
        self.config = config
        self.data = data
        self.listeners: list[Listener] = list(listeners or [])
        self.controls = controls if controls is not None else RunControls()
        self.evaluate_test = evaluate_test
        self.workers = max(1, int(workers if workers is not None else blas_threads() or 1))
        self._sharded: ShardedStack | None = None
        # One stream per use, all from the seed alone: two runs with one seed see the same data
        # order and the same shifted images whatever else differs (dropout draws its masks from
        # its own stream), which makes a sweep's points comparable (tests/test_sweep_fairness.py).
        seeds = np.random.SeedSequence(config.seed).spawn(4)
        self._init_rng, self._shuffle_rng, self._noise_rng, self._augment_rng = (
            np.random.default_rng(s) for s in seeds
        )
        # Dropout layers draw their masks from the noise generator, as the MLP's dropout does.
        self.net = nets.create(
            config, data.image_shape, data.num_classes, self._init_rng, self._noise_rng
        )
        self.optimizer = make_optimizer(
            config.optimizer,
            momentum=config.momentum,
            nesterov=config.nesterov,
            beta1=config.beta1,
            beta2=config.beta2,
        )
        self._loss = LOSSES[config.loss]
        self._lr_scale = 1.0
        self.current_lr = config.lr
        self.epoch = 0

    # -- controls, safe from any thread: shortcuts to self.controls ------------------------------
    def pause(self) -> None:
        self.controls.pause()

    def resume(self) -> None:
        self.controls.resume()

    def stop(self) -> None:
        self.controls.stop()

    def set_lr(self, lr: float) -> None:
        """Change the rate from the next batch on; the schedule then continues from it."""
        self.controls.set_lr(lr)

    @property
    def paused(self) -> bool:
        return self.controls.paused

    @property
    def held(self) -> bool:
        """Whether the loop is waiting in a pause (RunControls.held)."""
        return self.controls.held

    # -- the loop ----------------------------------------------------------------------------
    def batch_size(self) -> int:
        n = len(self.data.y_train)
        bs = self.config.batch_size
        return n if bs <= 0 or bs >= n else bs

    def run(self) -> EndEvent:
        """Train to the end; never raises: a failure becomes the run's status and reason."""
        try:
            with self._shards():
                end = self._loop()
        except Exception as exc:  # a thread boundary: report it as the run's reason
            end = EndEvent("failed", f"{type(exc).__name__}: {exc}", self.epoch, 0.0)
        try:
            self._emit(end)
        except Exception as exc:  # a listener failing on the end event fails the run too
            end = EndEvent("failed", f"{type(exc).__name__}: {exc}", end.epochs_done, 0.0)
        return end

    @contextlib.contextmanager
    def _shards(self) -> Iterator[None]:
        """Shard a convolutional stack's steps for the loop's duration. With several workers,
        BLAS gets one thread each meanwhile (two threads of two-thread products would fight
        over two cores), and its setting comes back afterwards."""
        if not shardable(self.net):
            yield
            return
        before = blas_threads() if self.workers > 1 else None
        self._sharded = ShardedStack(self.net, self.workers)
        try:
            if before is not None:
                blas_threads(1)
            yield
        finally:
            self._sharded.close()
            self._sharded = None
            if before is not None:
                blas_threads(before)

    def _emit(self, event: object) -> None:
        for listener in self.listeners:
            listener(event)

    def _schedule(self, epoch0: int) -> float:
        c = self.config
        return SCHEDULES[c.schedule](c.lr, epoch0, c.epochs, c.step_every, c.step_gamma)

    def _loop(self) -> EndEvent:
        c, d = self.config, self.data
        n = len(d.y_train)
        if n == 0:
            return EndEvent("failed", "the training set is empty", 0, 0.0)
        bs = self.batch_size()
        batches = math.ceil(n / bs)
        step, train_seconds = 0, 0.0
        first_loss: float | None = None
        for epoch0 in range(c.epochs):
            self.epoch = epoch0 + 1
            order = self._shuffle_rng.permutation(n) if bs < n else np.arange(n)
            loss_sum = correct = 0.0
            t0 = time.perf_counter()
            for b in range(batches):
                if self.controls.paused:
                    train_seconds += time.perf_counter() - t0
                    self.controls.wait_while_paused()
                    t0 = time.perf_counter()
                if self.controls.stopped:
                    train_seconds += time.perf_counter() - t0
                    return EndEvent("stopped", "stopped by the user", epoch0, train_seconds)
                lr = self._lr_for(epoch0)
                if batches == 1:  # full batch: no need to copy the whole set every step
                    xb, yb = d.x_train, d.y_train
                else:
                    idx = order[b * bs : (b + 1) * bs]
                    xb, yb = d.x_train[idx], d.y_train[idx]
                if c.augment_shift:
                    xb = random_shift(xb, d.image_shape, c.augment_shift, self._augment_rng)
                limit = None if first_loss is None else DIVERGENCE_FACTOR * max(first_loss, 1.0)
                rows = len(yb)
                loss, correct_b = self._step(xb, yb, lr, limit)
                del xb, yb  # the batch copy: the next one is taken while nothing holds this one
                step += 1
                first_loss = loss if first_loss is None else first_loss
                if correct_b is None:
                    train_seconds += time.perf_counter() - t0
                    reason = (
                        f"diverged at epoch {epoch0 + 1} batch {b + 1} (loss={loss:.4g}) "
                        "— lower the learning rate"
                    )
                    return EndEvent("diverged", reason, epoch0, train_seconds)
                loss_sum += loss * rows
                correct += correct_b
                self._emit(BatchEvent(epoch0 + 1, b + 1, batches, step, loss, lr, self.net))
            epoch_seconds = time.perf_counter() - t0
            train_seconds += epoch_seconds
            self._emit(
                self._epoch_event(
                    epoch0, step, loss_sum / n, correct / n, epoch_seconds, train_seconds
                )
            )
        return EndEvent("finished", f"trained {c.epochs} epochs", c.epochs, train_seconds)

    def _step(
        self, xb: np.ndarray, yb: np.ndarray, lr: float, limit: float | None
    ) -> tuple[float, int | None]:
        """One batch: forward, loss, then backward and the update unless the loss is not finite
        or over limit (the run diverged: correct is None, nothing is updated).

        Everything a step allocates (the forward cache, the logits and their gradient, the
        gradients) is local to this call and freed when it returns, so the next step's forward
        pass never runs next to this one's arrays: the peak is one step's working set, not two.
        The cache goes before the update, so the optimizer's temporaries do not sit on top of it.
        """
        c = self.config
        sharded = self._sharded
        if sharded is not None:
            logits, cache = sharded.forward_train(xb, self._noise_rng)
        else:
            logits, cache = nets.forward_train(self.net, xb, c.dropout, self._noise_rng)
        loss, dlogits = self._loss.value_and_grad(logits, yb)
        loss += self.net.l2_penalty(c.l2) if c.l2 else 0.0
        correct = int((logits.argmax(axis=1) == yb).sum())
        del logits
        if not math.isfinite(loss) or (limit is not None and loss > limit):
            return loss, None
        if sharded is not None:
            grads = sharded.backward(cache, dlogits, c.l2)
        else:
            grads, _ = self.net.backward(cache, dlogits, c.l2)
        del cache, dlogits
        self.optimizer.step(self.net.params(), grads, lr)
        return loss, correct

    def _lr_for(self, epoch0: int) -> float:
        scheduled = self._schedule(epoch0)
        if (requested := self.controls.take_lr()) is not None:
            self._lr_scale = requested / scheduled if scheduled > 0 else 1.0
        self.current_lr = scheduled * self._lr_scale
        return self.current_lr

    def _evaluate(self, x: np.ndarray, y: np.ndarray) -> tuple:
        """(loss, accuracy, confusion matrix, predicted classes), all None without samples."""
        if len(y) == 0:
            return None, None, None, None
        logits = self._sharded.logits(x) if self._sharded is not None else self.net.logits(x)
        loss, _ = self._loss.value_and_grad(logits, y)
        pred = logits.argmax(axis=1)
        cm = confusion_matrix(y, pred, self.data.num_classes)
        small = pred.astype(np.uint8) if self.data.num_classes <= 256 else None
        return loss, float((pred == y).mean()), cm, small

    def _epoch_event(self, epoch0, step, train_loss, train_acc, epoch_seconds, train_seconds):
        d = self.data
        val_loss, val_acc, _, _ = self._evaluate(d.x_val, d.y_val)
        test_loss = test_acc = cm = pred = None
        if self.evaluate_test:
            test_loss, test_acc, cm, pred = self._evaluate(d.x_test, d.y_test)
        return EpochEvent(
            epoch=epoch0 + 1,
            epochs=self.config.epochs,
            step=step,
            train_loss=float(train_loss),
            train_acc=float(train_acc),
            val_loss=val_loss,
            val_acc=val_acc,
            test_loss=test_loss,
            test_acc=test_acc,
            test_confusion=cm,
            test_predictions=pred,
            lr=self.current_lr,
            epoch_seconds=epoch_seconds,
            train_seconds=train_seconds,
            samples_per_sec=len(d.y_train) / max(epoch_seconds, 1e-9),
            net=self.net.copy(),
        )
