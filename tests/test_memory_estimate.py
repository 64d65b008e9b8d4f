"""A run's memory is estimated before it starts, honestly, and a run over its budget is refused
(engine, run registry and command line) with a message that says what to shrink."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from netlib import memory
from netlib.config import NetConfig
from netlib.data.catalog import load_dataset
from netlib.memory import BUILTIN_SHAPES, DataShape, MemoryBudgetError

ROOT = Path(__file__).resolve().parent.parent
MNIST_DIR = Path(os.environ.get("NETLIB_MNIST_DIR") or ROOT.parent / "shared/data/mnist")
GB = 10**9

# The largest configuration the limits allow, and an upload of big images under a wide layer:
# both took the server to many GB before this check.
LARGEST = NetConfig(hidden=(8192,) * 8, dtype="float64", optimizer="adam")
BIG_IMAGES = DataShape(train=1_000, test=100, height=1024, width=1024, classes=10)


@pytest.mark.parametrize("dataset_id", ["mnist-sample", "digits-8x8"])
def test_the_built_in_shapes_are_the_shapes_of_the_loaded_sets(dataset_id):
    assert memory.shape_of(load_dataset(dataset_id)) == BUILTIN_SHAPES[dataset_id]


@pytest.mark.skipif(not MNIST_DIR.is_dir(), reason="no MNIST IDX folder on this machine")
def test_the_full_mnist_shape_is_the_loaded_one():
    ds = load_dataset("mnist", mnist_dir=MNIST_DIR)
    assert memory.shape_of(ds) == BUILTIN_SHAPES["mnist"] == BUILTIN_SHAPES["fashion-mnist"]


def test_parts_follow_the_config_by_hand():
    shape = BUILTIN_SHAPES["mnist-sample"]
    cfg = NetConfig(hidden=(100,), optimizer="sgd", dtype="float32", batch_size=50)
    est = memory.estimate(cfg, shape)
    n_params = 784 * 100 + 100 + 100 * 10 + 10
    assert est.parts["parameters"] == memory.PARAM_COPIES * n_params * 4
    # sgd keeps no state; every update rule makes one temporary the size of the largest matrix
    assert est.parts["optimizer state"] == 784 * 100 * 4
    assert est.parts["data"] == 12_000 * 784 * (1 + 4) + 10_000 * 784 * 4
    # Adam keeps two moments, float64 doubles every array.
    adam = memory.estimate(cfg.replace(optimizer="adam", dtype="float64"), shape)
    assert adam.parts["optimizer state"] == (2 * n_params + 784 * 100) * 8
    assert adam.parts["parameters"] == 2 * est.parts["parameters"]
    # Batch 50: evaluating the 2,000 test images (one chunk) holds more than a step.
    assert est.parts["activations"] == 2000 * 2 * (100 + 10) * 4
    # Full batch: 9,000 training images' cache (no input copy: z, a, logits, their gradient)
    # plus three layer-sized backward temporaries; the previous step's cache is freed by then.
    full = memory.estimate(cfg.replace(batch_size=0), shape)
    cache = 2 * 100 + 2 * 10
    assert full.parts["activations"] == 9000 * (cache + 3 * 100) * 4
    # The loop alone: weights, gradients, and the larger of the step and the update temporary.
    assert (
        memory.step_bytes(cfg.replace(batch_size=0), shape)
        == (2 * n_params + max(9000 * (cache + 3 * 100), 784 * 100)) * 4
    )
    assert est.largest_matrix == (784, 100)


def test_the_largest_allowed_config_and_a_big_upload_are_refused_saying_what_to_shrink():
    with pytest.raises(MemoryBudgetError) as info:
        memory.check_budget(LARGEST, BUILTIN_SHAPES["mnist-sample"], 6 * GB)
    message = str(info.value)
    assert "Biggest part, parameters" in message and "8,192×8,192" in message
    assert "float32" in message and memory.BUDGET_ENV in message and "\n" not in message
    assert memory.estimate(LARGEST, BUILTIN_SHAPES["mnist-sample"]).total > 30 * GB

    wide = NetConfig(hidden=(2048,))
    with pytest.raises(MemoryBudgetError, match=r"1,048,576×2,048"):
        memory.check_budget(wide, BIG_IMAGES, 6 * GB)
    first_layer = 1024 * 1024 * 2048 * 4
    assert memory.estimate(wide, BIG_IMAGES).parts["parameters"] >= first_layer

    with pytest.raises(MemoryBudgetError, match=r"activations: use a smaller batch size"):
        memory.check_budget(
            NetConfig(hidden=(4096, 4096), batch_size=0), BUILTIN_SHAPES["mnist"], 6 * GB
        )


def test_every_preset_fits_a_small_budget():
    from netlib.presets import PRESETS

    for preset in PRESETS.values():
        est = memory.check_budget(preset.config, BUILTIN_SHAPES[preset.config.dataset], 2 * GB)
        assert est.total < 2 * GB, preset.id


def test_the_budget_is_a_share_of_the_machine_or_the_variable(monkeypatch):
    monkeypatch.delenv(memory.BUDGET_ENV, raising=False)
    machine = memory.machine_memory()
    pages = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    assert 0 < machine <= pages
    assert memory.memory_budget(2) == int(memory.MACHINE_FRACTION * machine / 2)
    assert memory.memory_budget(1) > memory.memory_budget(4)
    # netlib.sizes' one rule (tests/test_sizes.py): a bare letter is binary, kB/MB/GB decimal
    for text, value in (("4G", 4 * 2**30), ("512 MiB", 512 * 2**20), ("1.5g", int(1.5 * 2**30)),
                        ("2000000", 2_000_000), ("64kb", 64_000), ("2GB", 2 * 10**9)):  # fmt: skip
        monkeypatch.setenv(memory.BUDGET_ENV, text)
        assert memory.memory_budget(8) == value, text
    for bad in ("lots", "-1G", "0", "1e9", "4 GB RAM"):
        monkeypatch.setenv(memory.BUDGET_ENV, bad)
        with pytest.raises(memory.ConfigError, match=memory.BUDGET_ENV):
            memory.memory_budget()


def test_sizes_read_as_people_read_them():
    assert [memory.format_bytes(b) for b in (512, 1500, 2_500_000, 34.1e9, 2e12)] == [
        "512 B", "1.5 KB", "2.5 MB", "34.1 GB", "2000.0 GB"
    ]  # fmt: skip


# -- the estimate against a real run -----------------------------------------------------------
CHILD = textwrap.dedent(
    """
    import json, sys, tempfile
    from netlib import memory
    from netlib.config import NetConfig
    from runlayer.registry import RunRegistry

    def status(field):
        for line in open("/proc/self/status"):
            if line.startswith(field):
                return int(line.split()[1]) * 1024

    config = NetConfig.from_json(sys.argv[1])
    with tempfile.TemporaryDirectory() as home:
        registry = RunRegistry(home, max_parallel=1)
        before = status("VmRSS:")
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset the peak (VmHWM): imports are not the run's
        run_id = registry.start(config)
        end = registry.wait(run_id, 600)
        peak = status("VmHWM:")
        registry.close()
    print(json.dumps({"status": end, "growth": peak - before}))
    """
)
# Each config makes a different part the biggest: data, activations (full batch with dropout),
# parameters and Adam's state (wide layers on the 8x8 digits, so the data is tiny).
MEASURED = {
    "data": NetConfig(hidden=(64,), epochs=1, dtype="float64"),
    "activations": NetConfig(
        hidden=(512, 512), epochs=3, optimizer="momentum", batch_size=0, dropout=0.5
    ),
    "parameters": NetConfig(
        dataset="digits-8x8",
        hidden=(2048, 2048),
        epochs=2,
        optimizer="adam",
        lr=5e-4,
        dtype="float64",
        batch_size=128,
    ),  # fmt: skip
}
CAP_BYTES = 3 * 2**30  # the child's address space: a regression fails, never swaps the machine


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (CAP_BYTES, CAP_BYTES))


@pytest.mark.parametrize("part", list(MEASURED))
def test_the_estimate_is_within_a_stated_factor_of_a_real_runs_peak(part):
    """The measured peak RSS growth of a whole run (data, training, checkpoints) lies between
    half the estimate and 1.2 times it: the check refuses what would not fit, and does not
    refuse runs that need half of what it says."""
    config = MEASURED[part]
    est = memory.estimate(config, BUILTIN_SHAPES[config.dataset])
    assert est.biggest == part
    assert est.total < 1 * GB
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"}
    env.pop(memory.BUDGET_ENV, None)
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, config.to_json()],
        capture_output=True, text=True, timeout=300, env=env, cwd=ROOT,
        preexec_fn=_cap_memory,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["status"] == "finished"
    ratio = result["growth"] / est.total
    assert 0.5 <= ratio <= 1.2, (part, result["growth"], est.summary())


def test_a_refused_estimate_allocates_nothing():
    """Estimating the largest config costs no memory: nothing is built to measure it."""
    import tracemalloc

    tracemalloc.start()
    memory.estimate(LARGEST, BIG_IMAGES)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 1_000_000
    assert np.dtype(LARGEST.dtype).itemsize == 8


# -- refused where runs start ------------------------------------------------------------------
def test_the_run_registry_refuses_an_over_budget_run_before_recording_it(tmp_path, monkeypatch):
    from runlayer.registry import RunRegistry

    monkeypatch.setenv(memory.BUDGET_ENV, "200M")
    registry = RunRegistry(tmp_path / "home", max_parallel=1)
    try:
        with pytest.raises(MemoryBudgetError, match="Biggest part, parameters"):
            registry.start(LARGEST)
        with pytest.raises(MemoryBudgetError, match="Biggest part, activations"):
            registry.start(NetConfig(hidden=(2048,), batch_size=0, epochs=1))
        assert registry.store.list_runs() == [] and registry.active() == []
        run_id = registry.start(NetConfig(hidden=(16,), epochs=1))  # fits: trains
        assert registry.wait(run_id, 120) == "finished"
    finally:
        registry.close()


def test_uploads_are_checked_in_memory_and_after_a_restart_from_their_manifest(
    tmp_path, monkeypatch
):
    """A data set added in memory and an upload known only from disk (a restarted server has
    loaded nothing yet) are both estimated before the run is recorded."""
    from synthetic_data import synthetic_dataset

    from runlayer.registry import RunRegistry

    monkeypatch.setenv(memory.BUDGET_ENV, "200M")
    wide = NetConfig(hidden=(8192, 8192), dtype="float64", optimizer="adam", epochs=1)
    ds = synthetic_dataset(size=12)
    registry = RunRegistry(tmp_path / "home", max_parallel=1)
    try:
        registry.add_dataset("in-memory", ds)
        info, _ = registry.save_upload(ds.train_images, ds.train_labels, "digits.npz")
        with pytest.raises(MemoryBudgetError):
            registry.start(wide.replace(dataset="in-memory"))
    finally:
        registry.close()
    restarted = RunRegistry(tmp_path / "home", max_parallel=1)
    try:
        assert restarted.loaded_datasets() == []
        shape = restarted.data_shape(info.id)
        assert (shape.height, shape.width, shape.train + shape.test) == (12, 12, info.n_images)
        with pytest.raises(MemoryBudgetError):
            restarted.start(wide.replace(dataset=info.id))
        assert restarted.loaded_datasets() == []  # refused without loading the upload
        assert restarted.store.list_runs() == []
    finally:
        restarted.close()


def test_the_command_line_refuses_an_over_budget_run_in_one_line(monkeypatch, capsys):
    from netlib.cli import main

    monkeypatch.setenv(memory.BUDGET_ENV, "100M")
    code = main(["train", "--preset", "wide-relu", "--hidden", "4096,4096", "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: This run would need") and err.count("\n") == 1


def test_the_train_form_shows_the_estimate_and_a_link_over_budget_cannot_start(
    tmp_path, monkeypatch
):
    from reliability_helpers import button, reset_app_state, session, shut_down_app_state, texts

    monkeypatch.setenv("NETLIB_HOME", str(tmp_path / "home"))
    monkeypatch.setenv(memory.BUDGET_ENV, "1G")
    reset_app_state()
    try:
        at = session()
        at.run()
        assert any("memory ≈" in c and "of 1.1 GB a run may use" in c for c in texts(at.caption))
        assert not button(at, "Start training").disabled
        at = session()
        at.query_params.update(hidden="8192,8192,8192", dtype="float64", optimizer="adam")
        at.run()
        assert not at.exception
        [error] = texts(at.error)
        assert "This run would need" in error and "Biggest part, parameters" in error
        assert button(at, "Start training").disabled
    finally:
        shut_down_app_state()
