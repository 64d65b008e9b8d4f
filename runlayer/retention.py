"""Which epoch checkpoints a run keeps on disk: a bounded set under a per-run byte budget.

Every epoch's metrics and confusion matrix stay in the database (they are small); only the
weight files are thinned. All of the first epochs are kept (that is where a network changes
most), later ones log-spaced, and always the best and the last. Thinning only ever removes:
a file once deleted is never wanted back, so the policy is a function of what is on disk.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from dataclasses import dataclass

from netlib import sizes
from runlayer.errors import StoreError

BUDGET_ENV = "NETLIB_RUN_DISK_BUDGET"
DEFAULT_BUDGET = 100 * 10**6  # 784-256-10 float32: ~0.8 MB a checkpoint, so ~40 fit easily
MAX_CHECKPOINTS = 40
FIRST_EPOCHS = 10


@dataclass(frozen=True)
class Retention:
    """The per-run limits: at most max_checkpoints epoch files and at most budget_bytes."""

    budget_bytes: int = DEFAULT_BUDGET
    max_checkpoints: int = MAX_CHECKPOINTS
    first_epochs: int = FIRST_EPOCHS

    @classmethod
    def from_env(cls) -> Retention:
        """The defaults, with the byte budget from $NETLIB_RUN_DISK_BUDGET when it is set."""
        text = os.environ.get(BUDGET_ENV, "").strip()
        return cls(budget_bytes=parse_size(text)) if text else cls()

    def keep(self, saved: Iterable[int], best: int | None, last: int | None,
             checkpoint_bytes: int, extra_bytes: int = 0) -> list[int]:  # fmt: skip
        return epochs_to_keep(saved, best, last, checkpoint_bytes,
                              self.budget_bytes - extra_bytes, self.max_checkpoints,
                              self.first_epochs)  # fmt: skip


def parse_size(text: str) -> int:
    """$NETLIB_RUN_DISK_BUDGET's value -> bytes, by the one rule of netlib.sizes ('200M' and
    '2GiB' binary, '100MB' decimal, '500000' bytes); StoreError naming the variable."""
    try:
        return sizes.parse_size(text, BUDGET_ENV, example="200M")
    except sizes.SizeError as exc:
        raise StoreError(str(exc)) from None


def capacity(checkpoint_bytes: int, budget_bytes: int, max_checkpoints: int) -> int:
    """How many checkpoints fit; never fewer than 2 (the best and the last are always kept)."""
    by_bytes = max(0, budget_bytes) // max(1, checkpoint_bytes)
    return max(2, min(max_checkpoints, by_bytes))


def epochs_to_keep(
    saved: Iterable[int],
    best: int | None,
    last: int | None,
    checkpoint_bytes: int,
    budget_bytes: int,
    max_checkpoints: int = MAX_CHECKPOINTS,
    first_epochs: int = FIRST_EPOCHS,
) -> list[int]:
    """The subset of saved epochs to keep, ascending.

    Over capacity, the epoch removed is the one whose removal leaves the smallest gap in
    log(epoch) between its neighbours, so what remains tends to log spacing; the first
    first_epochs go only when nothing later is left to remove, best and last never.
    """
    kept = sorted(set(saved))
    protected = {best, last}
    cap = max(capacity(checkpoint_bytes, budget_bytes, max_checkpoints),
              len(protected & set(kept)))  # fmt: skip
    while len(kept) > cap:
        kept.pop(_cheapest(kept, protected, first_epochs))
    return kept


def _cheapest(kept: list[int], protected: set, first_epochs: int) -> int:
    """Index of the epoch whose loss costs the least; the two ends cost infinitely much."""
    best_index, best_cost = None, (math.inf, math.inf)
    for i in range(1, len(kept) - 1):
        epoch = kept[i]
        if epoch in protected:
            continue
        early = 1 if epoch <= first_epochs else 0
        cost = (early, math.log(kept[i + 1]) - math.log(kept[i - 1]))
        if cost < best_cost:
            best_index, best_cost = i, cost
    if best_index is None:  # only the ends and protected epochs left between them
        ends = [i for i in (0, len(kept) - 1) if kept[i] not in protected]
        best_index = ends[0]
    return best_index
