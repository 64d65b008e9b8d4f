"""How another thread steers a training loop: pause, resume, stop and the learning rate.

One RunControls per run. Whoever starts the run creates it (the run layer does so when a run
is queued, before any data is loaded) and hands it to the Trainer; controls sent before the
loop starts simply wait in it. Every method is safe from any thread and takes effect before
the loop's next batch.
"""

from __future__ import annotations

import threading

from netlib.config import ConfigError, NetConfig


def check_lr(lr: object) -> float:
    """The rate as a float, or ConfigError (a ValueError) for one NetConfig would refuse."""
    try:
        NetConfig(lr=lr)  # the range lives with the field: NetConfig.validate()
    except ConfigError as exc:
        raise ConfigError(f"learning rate refused: {exc}") from None
    return float(lr)


class RunControls:
    """Thread-safe pause / resume / stop / learning-rate requests for one training loop.

    A pause is requested at once but takes hold only after the batch in flight: `held` tells
    when the loop is actually waiting. A stop ends the loop before its next batch, and also
    wakes a loop waiting in a pause; once stopped, a pause no longer holds the loop.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._paused = False
        self._stopped = False
        self._held = False
        self._lr: float | None = None

    # -- requests (any thread) -------------------------------------------------------------
    def pause(self) -> None:
        with self._changed:
            self._paused = True

    def resume(self) -> None:
        with self._changed:
            self._paused = False
            self._changed.notify_all()

    def stop(self) -> None:
        with self._changed:
            self._stopped = True
            self._changed.notify_all()

    def set_lr(self, lr: float) -> float:
        """Ask for this rate from the next batch on (see check_lr); returns it as a float."""
        rate = check_lr(lr)
        with self._changed:
            self._lr = rate
        return rate

    # -- state -------------------------------------------------------------------------------
    @property
    def paused(self) -> bool:
        """A pause is requested (it may not hold yet: see held)."""
        with self._changed:
            return self._paused

    @property
    def stopped(self) -> bool:
        with self._changed:
            return self._stopped

    @property
    def held(self) -> bool:
        """The loop is waiting in a pause, no batch in flight: observers can wait for this."""
        with self._changed:
            return self._held

    # -- the loop's side ---------------------------------------------------------------------
    def wait_while_paused(self) -> bool:
        """Block while paused and not stopped; True when it waited (the caller's clock stops)."""
        with self._changed:
            if not self._paused or self._stopped:
                return False
            self._held = True
            try:
                while self._paused and not self._stopped:
                    self._changed.wait()
            finally:
                self._held = False
            return True

    def take_lr(self) -> float | None:
        """The rate asked for since the last call, once; None when nothing was asked."""
        with self._changed:
            lr, self._lr = self._lr, None
            return lr
