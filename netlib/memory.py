"""How much memory a run will need, known before it starts, and the budget it must fit in.

A run that cannot fit must be refused before it allocates anything: one 8 x 8192 float64 Adam
run (or a 1024x1024-pixel upload under a wide first layer) would otherwise take the whole
server down. The estimate counts what the engine and the run layer really hold at their peak;
tests/test_memory_estimate.py checks it against a real run's peak RSS.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from netlib.architecture import summary
from netlib.config import ConfigError, NetConfig
from netlib.layer_stack import conv_columns, sample_elements
from netlib.layer_stack import eval_rows as stack_eval_rows
from netlib.sizes import SizeError, format_size, parse_size
from netlib.training_data import split_indices

BUDGET_ENV = "NETLIB_MEMORY_BUDGET"
MACHINE_FRACTION = 0.5  # of the machine's memory, shared by the runs allowed at once
EVAL_ROWS = 4096  # MLP.logits evaluates in chunks of this many images

# Copies of the parameters alive at a run's peak: the weights, one step's gradients (a step's
# arrays are freed before the next step starts: Trainer._step), the latest live snapshot, the
# best epoch's network, the epoch event's copy, and the compressed checkpoint buffer and its
# copy while it is written (savez_compressed into BytesIO, then getvalue()).
PARAM_COPIES = 7
# What a run allocates besides arrays: the data loader's modules and file buffers, the run
# store's connection, the thread (measured: 10-12 MB on the bundled sample).
RUN_OVERHEAD = 16 * 10**6
OPTIMIZER_COPIES = {"sgd": 0, "momentum": 1, "adam": 2}  # momentum: its buffer; Adam: m and v
# Every update rule (netlib/optimizers.py) makes one temporary the size of the parameter it is
# updating, freed before the next: the largest weight matrix is the one that counts.


class MemoryBudgetError(ConfigError):
    """A run would need more memory than its budget; the message says what to shrink."""


@dataclass(frozen=True)
class DataShape:
    """What the estimate needs to know about a data set, without loading it."""

    train: int  # training images, validation included
    test: int
    height: int
    width: int
    classes: int

    @property
    def inputs(self) -> int:
        return self.height * self.width


# The built-in sets' shapes (tests check them against the loaded sets): a download or a
# decompression must not be needed just to refuse a run.
BUILTIN_SHAPES: dict[str, DataShape] = {
    "mnist-sample": DataShape(10_000, 2_000, 28, 28, 10),
    "mnist": DataShape(60_000, 10_000, 28, 28, 10),
    "fashion-mnist": DataShape(60_000, 10_000, 28, 28, 10),
    "digits-8x8": DataShape(1_437, 360, 8, 8, 10),
}


def shape_of(dataset) -> DataShape:
    """The shape of a loaded netlib Dataset (an upload held in memory)."""
    h, w = dataset.image_shape
    return DataShape(len(dataset.train_labels), len(dataset.test_labels), h, w, dataset.num_classes)


@dataclass(frozen=True)
class MemoryEstimate:
    parts: dict[str, int]  # bytes by part
    largest_matrix: tuple[int, int]  # the biggest weight matrix (fan_in, fan_out)

    @property
    def total(self) -> int:
        return sum(self.parts.values())

    @property
    def biggest(self) -> str:
        return max(_HINTS, key=self.parts.get)  # "other" is never what to shrink

    def summary(self) -> str:
        """'≈ 120 MB (data 95 MB, parameters 1.2 MB, …)' for the form and the CLI."""
        parts = ", ".join(f"{name} {format_bytes(b)}" for name, b in self.parts.items())
        return f"≈ {format_bytes(self.total)} ({parts})"


def estimate(config: NetConfig, shape: DataShape) -> MemoryEstimate:
    """Peak bytes of one run of config on data of this shape, by part."""
    n = _counts(config, shape)
    return MemoryEstimate(
        parts={
            "data": _data_bytes(shape, n.item),
            "parameters": PARAM_COPIES * n.params * n.item,
            "optimizer state": (OPTIMIZER_COPIES[config.optimizer] * n.params + n.largest) * n.item,
            "activations": max(n.step, n.evaluation) * n.item,
            "other": RUN_OVERHEAD,
        },
        largest_matrix=n.largest_matrix,
    )


def step_bytes(config: NetConfig, shape: DataShape) -> int:
    """Peak bytes of the training loop itself, data and snapshots aside: the weights, one
    step's gradients, the optimizer's state, and the larger of the step's activations (forward
    cache and backward temporaries) and the update's one temporary, which never coexist (the
    cache is freed before the update). Trainer's traced peak is checked against this in
    tests/test_engine_trainer.py; estimate() counts the same parts, summed."""
    n = _counts(config, shape)
    state = OPTIMIZER_COPIES[config.optimizer] * n.params
    return (2 * n.params + state + max(n.step, n.largest)) * n.item


@dataclass(frozen=True)
class _Counts:
    """Element counts the estimate is made of (times item bytes each)."""

    item: int
    params: int
    largest_matrix: tuple[int, int]
    step: int  # one training step's activations at their peak
    evaluation: int  # one evaluation chunk

    @property
    def largest(self) -> int:
        return self.largest_matrix[0] * self.largest_matrix[1]


def _counts(config: NetConfig, shape: DataShape) -> _Counts:
    n_train = len(split_indices(shape.train, config.val_fraction, config.seed)[0])
    bs = config.batch_size
    rows = max(1, n_train if bs <= 0 or bs >= n_train else bs)  # as Trainer.batch_size()
    eval_rows = max(shape.test, shape.train - n_train)
    item = np.dtype(config.dtype).itemsize
    widths = config.mlp_hidden
    if widths is None:
        return _stack_counts(config, shape, item, rows, rows == n_train, eval_rows)
    sizes = [shape.inputs, *widths, shape.classes]
    matrices = list(zip(sizes[:-1], sizes[1:], strict=True))
    return _Counts(
        item=item,
        params=sum(i * o + o for i, o in matrices),
        largest_matrix=max(matrices, key=lambda m: m[0] * m[1]),
        step=_step_bytes(config, sizes, rows, full=rows == n_train),
        evaluation=_evaluation_bytes(sizes, eval_rows),
    )


def _stack_counts(
    config: NetConfig, shape: DataShape, item: int, rows: int, full: bool, eval_rows: int
) -> _Counts:
    """A layer stack's counts from its summary (netlib.architecture): every layer's output,
    plus each convolution's unfolded input columns (layer_stack.conv_columns). Raises
    ArchitectureError when the layers do not fit the images."""
    specs = config.layer_specs
    table = summary(specs, (1, shape.height, shape.width), shape.classes)
    outputs = [math.prod(row.output_shape) for row in table.rows]
    cols = conv_columns(table, specs)
    widest, widest_cols = sample_elements(table, specs)
    inputs = (0 if full else 1) + (1 if config.augment_shift else 0)
    # The cache: each layer's output (an activation keeps its input and output, backward one
    # gradient of each); each convolution's columns and their gradient over the zero-padded
    # plane (up to twice the columns), which Conv2D keeps in per-shape buffers reused from
    # step to step; and the widest layer's gradient twice over.
    step = inputs * shape.inputs + 3 * sum(outputs) + 3 * sum(cols) + 2 * max(outputs)
    largest = max(row.params for row in table.rows)
    return _Counts(
        item=item,
        params=table.params,
        largest_matrix=(largest, 1),
        step=rows * step,
        evaluation=min(stack_eval_rows(table, specs, item), eval_rows) * (2 * widest + widest_cols),
    )


def _data_bytes(shape: DataShape, item: int) -> int:
    """The uint8 images, their float copies (train + validation + test), and the one extra
    float copy of the training images alive while prepare() splits them."""
    images = (shape.train + shape.test) * shape.inputs
    return images + images * item + shape.train * shape.inputs * item


def _step_bytes(config: NetConfig, sizes: list[int], rows: int, full: bool) -> int:
    """Elements one training step holds at its peak.

    A step's cache holds the batch (a copy, unless full batch; and its shifted copy), each
    hidden layer's pre-activation and activation (with dropout also the mask and the masked
    copy), the logits and their gradient; backward adds a few layer-sized temporaries. The
    previous step's cache is gone by then: Trainer._step frees it when it returns.
    """
    per_layer = 4 if config.dropout > 0 else 2
    inputs = (0 if full else 1) + (1 if config.augment_shift else 0)
    cache = inputs * sizes[0] + per_layer * sum(sizes[1:-1]) + 2 * sizes[-1]
    return rows * (cache + 3 * max(sizes[1:]))


def _evaluation_bytes(sizes: list[int], rows: int) -> int:
    """Elements of one evaluation chunk: every layer's output for up to EVAL_ROWS images."""
    return min(EVAL_ROWS, rows) * 2 * sum(sizes[1:])


# -- the budget --------------------------------------------------------------------------------
def machine_memory() -> int:
    """Physical memory, or a smaller container (cgroup) limit when there is one."""
    total = _meminfo_total()
    if total is None:
        try:
            total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (ValueError, OSError, AttributeError):
            total = 4 * 2**30  # nothing to read: assume a small machine
    limit = _cgroup_limit()
    return min(total, limit) if limit else total


def _meminfo_total() -> int | None:
    try:
        text = Path("/proc/meminfo").read_text()
    except OSError:
        return None
    match = re.search(r"^MemTotal:\s+(\d+)\s*kB", text, re.MULTILINE)
    return int(match.group(1)) * 1024 if match else None


def _cgroup_limit() -> int | None:
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(path).read_text().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 2**60:  # "max" or a huge number: no limit
            return int(text)
    return None


def parse_bytes(text: str) -> int:
    """$NETLIB_MEMORY_BUDGET's value -> bytes, by the one rule of netlib.sizes ('512M' and
    '2GiB' binary, '100MB' decimal, '123456' bytes); ConfigError naming the variable."""
    try:
        return parse_size(text, BUDGET_ENV, example="4G")
    except SizeError as exc:
        raise ConfigError(str(exc)) from None


def memory_budget(runs_at_once: int = 1) -> int:
    """Bytes one run may use: $NETLIB_MEMORY_BUDGET if set, else a share of the machine."""
    override = os.environ.get(BUDGET_ENV, "").strip()
    if override:
        return parse_bytes(override)
    return int(MACHINE_FRACTION * machine_memory() / max(1, int(runs_at_once)))


def over_budget(est: MemoryEstimate, budget: int, config: NetConfig) -> str | None:
    """Why a run of this estimate may not start (one line), or None when it fits."""
    if est.total <= budget:
        return None
    part = est.biggest
    hint = _HINTS[part](config, est)
    if config.dtype == "float64":
        hint += ", or use float32 (half the bytes)"
    return (
        f"This run would need {est.summary()}, more than the {format_bytes(budget)} a run may "
        f"use (set {BUDGET_ENV} to change it). Biggest part, {part}: {hint}."
    )


def check_budget(config: NetConfig, shape: DataShape, budget: int) -> MemoryEstimate:
    """The estimate, or MemoryBudgetError saying what to shrink."""
    est = estimate(config, shape)
    reason = over_budget(est, budget, config)
    if reason:
        raise MemoryBudgetError(reason)
    return est


def _params_hint(config: NetConfig, est: MemoryEstimate) -> str:
    i, o = est.largest_matrix
    if config.mlp_hidden is None:
        return f"use fewer filters or units (the largest layer has {i:,} parameters)"
    return f"use fewer or narrower hidden layers (the largest weight matrix is {i:,}×{o:,})"


def _optimizer_hint(config: NetConfig, est: MemoryEstimate) -> str:
    return (
        f"{config.optimizer} keeps extra copies of every weight: use sgd, or fewer or "
        "narrower hidden layers"
    )


def _activations_hint(config: NetConfig, est: MemoryEstimate) -> str:
    batch = (
        "full batch holds every training image's activations at once"
        if (config.batch_size <= 0)
        else f"batch {config.batch_size:,}"
    )
    return f"use a smaller batch size ({batch}), or narrower hidden layers"


def _data_hint(config: NetConfig, est: MemoryEstimate) -> str:
    return "use a data set with fewer or smaller images"


_HINTS = {
    "data": _data_hint,
    "parameters": _params_hint,
    "optimizer state": _optimizer_hint,
    "activations": _activations_hint,
}


format_bytes = format_size  # the one formatter (decimal units), under the name pages import
