"""Layer stacks through the whole engine: config, trainer, model files, store, memory, CLI."""

import io
import json
import tracemalloc

import numpy as np
import pytest
from synthetic_data import synthetic_dataset

from netlib import memory, modelfile, nets
from netlib.architecture import ArchitectureError
from netlib.cli import build_parser, main, run_train
from netlib.config import ConfigError, NetConfig
from netlib.layer_stack import LayerStack
from netlib.network import MLP
from netlib.trainer import BatchEvent, Trainer
from netlib.training_data import prepare

EVERY_LAYER = "conv4k3same bn:relu pool2 conv6k3s2 avgpool2 dropout0.3 dense12:tanh bn dense8"
EVERY_LAYER_CANONICAL = "conv4k3same bn pool2 conv6k3s2 avgpool2 dropout0.3 dense12:tanh bn dense8"


def _run(layers: str, steps: int | None = None, **changes):
    cfg = NetConfig(layers=layers, activation="relu", lr=0.05, epochs=2, batch_size=32)
    cfg = cfg.replace(**changes)
    data = prepare(synthetic_dataset(n_train=300, n_test=60), cfg.val_fraction, cfg.seed, cfg.dtype)
    losses = []
    trainer = Trainer(cfg, data)

    def listen(e):
        if isinstance(e, BatchEvent):
            losses.append(e.loss)
            if steps is not None and e.step >= steps:
                trainer.stop()

    trainer.listeners.append(listen)
    end = trainer.run()
    assert end.status in ("finished", "stopped"), end.reason
    return trainer, data, losses


# -- config ------------------------------------------------------------------------------------
def test_layers_are_kept_in_canonical_text_and_stored_as_structured_json():
    with pytest.raises(ArchitectureError, match="bn"):  # ':act' belongs to conv and dense only
        NetConfig(layers=EVERY_LAYER)
    cfg = NetConfig(layers=EVERY_LAYER_CANONICAL.upper().replace(" ", ", "))
    assert cfg.layers == EVERY_LAYER_CANONICAL and cfg.hidden == ()
    stored = cfg.to_dict()["layers"]
    assert isinstance(stored, list) and stored[0]["kind"] == "conv" and stored[0]["filters"] == 4
    assert NetConfig.from_json(cfg.to_json()) == cfg
    assert NetConfig.from_dict({"layers": EVERY_LAYER_CANONICAL}) == cfg  # text is accepted too
    assert cfg.architecture == EVERY_LAYER_CANONICAL


def test_old_configs_without_layers_load_unchanged():
    old = {"hidden": [128, 64], "activation": "relu", "dropout": 0.2}
    cfg = NetConfig.from_dict(old)
    assert cfg.layers == "" and cfg.hidden == (128, 64) and cfg.architecture == "128-64"
    assert cfg.mlp_hidden == (128, 64)


def test_bad_layers_name_the_field_and_the_token():
    with pytest.raises(ConfigError, match=r"layers: token 2 'conv8k9': kernel 9"):
        NetConfig(layers="pool2 conv8k9")
    with pytest.raises(ConfigError, match="dropout: with layers"):
        NetConfig(layers="conv8k3", dropout=0.5)


def test_plain_dense_layers_train_as_the_mlp_bit_for_bit():
    assert NetConfig(layers="dense32 dense16", activation="relu").mlp_hidden == (32, 16)
    assert NetConfig(layers="dense32:tanh", activation="relu").mlp_hidden is None
    a, _, losses_a = _run("dense32 dense16")
    b, _, losses_b = _run("", hidden=(32, 16))
    assert isinstance(a.net, MLP) and losses_a == losses_b
    assert all(
        x.tobytes() == y.tobytes() for x, y in zip(a.net.params(), b.net.params(), strict=True)
    )


# -- trainer: learning and determinism -----------------------------------------------------------
def test_a_small_cnn_learns_the_synthetic_digits():
    trainer, data, losses = _run("conv4k3 pool2 dense16", epochs=6, optimizer="adam", lr=0.01)
    assert isinstance(trainer.net, LayerStack)
    acc = (trainer.net.logits(data.x_test).argmax(1) == data.y_test).mean()
    assert acc > 0.8 and np.mean(losses[-5:]) < 0.5 * np.mean(losses[:5])  # chance is 0.1


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_same_seed_gives_bit_identical_stacks_of_every_layer_type(dtype):
    a, _, losses_a = _run(EVERY_LAYER_CANONICAL, dtype=dtype, augment_shift=1, l2=1e-3)
    b, _, losses_b = _run(EVERY_LAYER_CANONICAL, dtype=dtype, augment_shift=1, l2=1e-3)
    assert losses_a == losses_b
    state_a, state_b = a.net.state(), b.net.state()
    assert state_a.keys() == state_b.keys()
    assert all(state_a[k].tobytes() == state_b[k].tobytes() for k in state_a)
    assert all(v.dtype == np.dtype(dtype) for v in state_a.values())
    c, _, _ = _run(EVERY_LAYER_CANONICAL, dtype=dtype, augment_shift=1, l2=1e-3, seed=1)
    assert c.net.state()["0.conv.W"].tobytes() != state_a["0.conv.W"].tobytes()


def test_layers_that_do_not_fit_the_images_are_refused_before_training():
    cfg = NetConfig(layers="conv8k7 pool3 conv8k7", activation="relu")
    data = prepare(synthetic_dataset(n_train=50, n_test=10), 0.1, 0)
    with pytest.raises(ArchitectureError, match="token 3 'conv8k7'.*smaller than the kernel"):
        Trainer(cfg, data)
    with pytest.raises(ArchitectureError, match="token 3"):
        memory.estimate(cfg, memory.DataShape(50, 10, 12, 12, 10))


# -- model files and the store -------------------------------------------------------------------
def test_save_load_gives_identical_predictions_for_every_layer_type(tmp_path):
    trainer, data, _ = _run(EVERY_LAYER_CANONICAL, epochs=1)
    net, cfg = trainer.net, trainer.config
    bn_mean = [v for k, v in net.buffers().items() if k.endswith("running_mean")]
    assert bn_mean and all(np.abs(m).sum() > 0 for m in bn_mean)  # statistics were learned
    path = tmp_path / "cnn.npz"
    modelfile.save_model(path, net, cfg, {"epoch": 1, "image_shape": [12, 12]})
    loaded, cfg2, meta = modelfile.load_model(path)
    assert isinstance(loaded, LayerStack) and cfg2 == cfg and meta["epoch"] == 1
    assert loaded.logits(data.x_test).tobytes() == net.logits(data.x_test).tobytes()
    for key, value in net.state().items():
        assert loaded.state()[key].tobytes() == value.tobytes(), key


def test_the_store_keeps_and_returns_a_stack(tmp_path):
    from runlayer import RunStore

    trainer, data, _ = _run("conv4k3 bn pool2 dense8", epochs=1)
    store = RunStore(tmp_path)
    run_id = store.create_run(trainer.config, "cnn")
    store.save_weights(run_id, 1, trainer.net, trainer.config, {"epoch": 1})
    net, cfg, _ = store.load_weights(run_id, 1)
    assert cfg == trainer.config
    assert np.array_equal(net.logits(data.x_test), trainer.net.logits(data.x_test))
    store.close()


def _stack_file(**header_changes) -> bytes:
    trainer, _, _ = _run("conv4k3 pool2 dense8", steps=1)
    raw = modelfile.model_bytes(trainer.net, trainer.config)
    if not header_changes:
        return raw
    with np.load(io.BytesIO(raw)) as z:
        arrays = {k: z[k] for k in z.files}
    header = json.loads(arrays["header"].tobytes())
    header.update(header_changes)
    arrays["header"] = np.frombuffer(json.dumps(header).encode(), np.uint8)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"input_shape": [1, 2, 2]}, "do not fit the input"),
        ({"input_shape": [1, 5, 5]}, r"4.dense.W has shape \(100, 8\), expected \(4, 8\)"),
        ({"input_shape": [3, 12, 12]}, "input_shape"),
        ({"input_shape": [1, 12, 100000]}, "input_shape"),
        ({"input_shape": "12x12"}, "input_shape"),
        ({"classes": 0}, "classes"),
        ({"classes": 7}, r"shape \(8, 7\)|has shape"),
        ({"sizes": [144, 8, 10], "format": "digit-net-model/1"}, "fully connected"),
    ],
)
def test_damaged_stack_headers_are_clear_errors(changes, message):
    with pytest.raises(modelfile.ModelFileError, match=message):
        modelfile.parse_model(_stack_file(**changes))


def test_a_stack_file_with_an_extra_array_is_refused():
    raw = _stack_file()
    with np.load(io.BytesIO(raw)) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["9.dense.W"] = np.zeros((2, 2), np.float32)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    with pytest.raises(modelfile.ModelFileError, match="unexpected arrays: 9.dense.W"):
        modelfile.parse_model(buf.getvalue())


# -- memory ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "layers", ["conv8k5 pool2 conv16k5 pool2 dense64", "conv16k3same bn pool2 dropout0.2 dense32"]
)
def test_a_stacks_traced_training_peak_stays_under_its_estimate(layers):
    cfg = NetConfig(layers=layers, activation="relu", lr=0.01, epochs=5, batch_size=64)
    cfg = cfg.replace(val_fraction=0.0, optimizer="adam")
    data = prepare(synthetic_dataset(n_train=400, n_test=10, size=28), 0.0, 0, cfg.dtype)
    t = Trainer(cfg, data, evaluate_test=False)
    t.listeners.append(lambda e: isinstance(e, BatchEvent) and e.step >= 4 and t.stop())
    tracemalloc.start()
    try:
        weights = sum(p.nbytes for p in t.net.params())
        before = tracemalloc.get_traced_memory()[0]
        t.run()
        peak = weights + tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    estimate = memory.step_bytes(cfg, memory.DataShape(400, 0, 28, 28, 10))
    assert peak <= estimate, (peak, estimate)
    assert peak >= 0.25 * estimate, (peak, estimate)  # and not wildly padded


def test_inference_chunks_shrink_for_wide_convolutions():
    small = nets.create(NetConfig(layers="conv4k3"), (28, 28), 10, np.random.default_rng(0))
    wide = nets.create(NetConfig(layers="conv64k7same conv64k7same"), (28, 28), 10,
                       np.random.default_rng(0))  # fmt: skip
    assert small.eval_rows() > wide.eval_rows() >= 1
    x = np.random.default_rng(1).random((wide.eval_rows() + 3, 784)).astype(np.float32)
    assert np.allclose(wide.logits(x), wide.logits(x, batch=len(x)), atol=1e-5)


# -- command line ------------------------------------------------------------------------------
def test_cli_trains_layers_and_reports_architecture_and_parameters():
    args = build_parser().parse_args(
        ["train", "--preset", "classic-sigmoid", "--dataset", "digits-8x8", "--layers",
         "conv4k3 pool2 dense16", "--activation", "relu", "--epochs", "1", "--quiet", "--json"]
    )  # fmt: skip
    buf = io.StringIO()
    code = run_train(args, buf)
    out = buf.getvalue()
    result = json.loads(out.strip().splitlines()[-1])
    assert code == 0 and result["architecture"] == "conv4k3 pool2 dense16"
    expected = 4 * (9 + 1) + 16 * (4 * 3 * 3 + 1) + 10 * (16 + 1)  # 8×8 → 6×6 → pooled 3×3
    assert result["parameters"] == expected


def test_cli_refuses_bad_layers_in_one_line(capsys):
    code = main(["train", "--preset", "classic-sigmoid", "--layers", "conv4k3 pool7"])
    err = capsys.readouterr().err
    assert code == 2 and "token 2 'pool7'" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_cli_summary_of_a_convolutional_preset():
    buf = io.StringIO()
    assert (
        run_train(build_parser().parse_args(["train", "--preset", "lenet5", "--summary"]), buf) == 0
    )
    out = buf.getvalue()
    assert "conv6k5same" in out and "6×28×28" in out and "16×5×5" in out
    assert "61,706" in out  # LeNet-5's parameter count with a 10-way output on 28×28 + padding
