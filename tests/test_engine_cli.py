"""The headless command line: one-line errors with exit code 2, a JSON result line, --save."""

import io
import json
import subprocess
import sys

import pytest

from netlib.cli import CLI_SETTINGS, build_parser, config_from_args, main, run_train
from netlib.config import SPECS, parse_hidden
from netlib.modelfile import load_model
from netlib.presets import PRESETS


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["train", "--preset", "nope"], "invalid choice"),
        (["train", "--preset", "wide-relu", "--lr", "-1"], "lr"),
        (["train", "--preset", "wide-relu", "--epochs", "x"], "invalid int"),
        (["train", "--preset", "wide-relu", "--hidden", "3,a"], "--hidden: hidden layers: 'a'"),
        (["train", "--preset", "wide-relu", "--activation", "swish"], "activation"),
        (["train"], "required"),
        ([], "required"),
    ],
)
def test_bad_options_give_one_line_and_exit_2(argv, words, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err and "Traceback" not in err


def test_the_options_and_their_help_come_from_the_settings(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    options = [f"--{name.replace('_', '-')}" for name in CLI_SETTINGS]
    assert options == [
        "--dataset", "--epochs", "--lr", "--batch-size", "--hidden", "--layers", "--activation",
        "--loss", "--optimizer", "--seed", "--dtype", "--val-fraction",
    ]  # fmt: skip
    for name in CLI_SETTINGS:
        assert " ".join(SPECS[name].help.split()) in shown, name
    assert "Allowed: 1 to 5,000." in shown and "{sgd,momentum,adam}" in shown


def test_settings_given_on_the_command_line_override_the_preset():
    argv = ["train", "--preset", "wide-relu", "--hidden", "32,16", "--val-fraction", "0"]
    argv += ["--batch-size", "0", "--dtype", "float64", "--optimizer", "adam"]
    expected = PRESETS["wide-relu"].config.replace(
        hidden=(32, 16), val_fraction=0.0, batch_size=0, dtype="float64", optimizer="adam"
    )
    assert config_from_args(build_parser().parse_args(argv)) == expected
    assert config_from_args(build_parser().parse_args(["train", "--preset", "wide-relu",
                            "--hidden", "none"])).hidden == ()  # fmt: skip


def test_parse_hidden():
    assert parse_hidden("128, 64") == (128, 64)
    assert parse_hidden("") == ()
    assert parse_hidden(" 10 ") == (10,)


def test_train_prints_epochs_and_a_json_line(tmp_path):
    path = tmp_path / "m.npz"
    args = build_parser().parse_args(
        ["train", "--preset", "digits-8x8", "--epochs", "15", "--json", "--save", str(path)]
    )
    out = io.StringIO()
    assert run_train(args, out) == 0
    lines = out.getvalue().splitlines()
    result = json.loads(lines[-1])
    assert result["preset"] == "digits-8x8" and result["epochs"] == 15
    assert result["train_seconds"] > 0
    assert 0.5 < result["test_accuracy"] <= 1.0
    assert sum(line.startswith("epoch 15/15") for line in lines) == 1
    net, cfg, meta = load_model(path)
    assert cfg.epochs == 15 and meta["test_acc"] == result["test_accuracy"]


def test_module_entry_point_runs():
    proc = subprocess.run(
        [sys.executable, "-m", "netlib", "train", "--preset", "best-mlp", "--dropout", "1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and "unrecognized arguments" in proc.stderr


# -- bad destinations and bad data: one line on stderr, exit 2, before any training -----------
@pytest.mark.parametrize(
    ("save", "words"),
    [
        ("", "needs a file name"),
        ("/dev/null/m.npz", "/dev/null is not a directory"),
        ("/proc/m.npz", "cannot write in /proc"),
        (".", "that is a directory"),
    ],
)
def test_unwritable_save_is_refused_before_training(save, words, capsys):
    assert main(["train", "--preset", "digits-8x8", "--epochs", "3", "--save", save]) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and words in captured.err
    assert "epoch" not in captured.out  # refused before the first epoch


def _corrupt_mnist_dir(folder):
    folder.mkdir()
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"):
        (folder / name).write_bytes(b"\0\0\x08\x03" + b"garbage")
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        (folder / name).write_bytes(b"\x1f\x8bnot really gzip")
    return folder


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--mnist-dir", "{tmp}/missing"], "does not exist"),
        (["--mnist-dir", "{tmp}"], "has no train-images"),
        (["--mnist-dir", "{tmp}/corrupt"], "train-images-idx3-ubyte"),
        (["--dataset", "no-such-set"], "no-such-set"),
    ],
)
def test_data_errors_give_one_line_on_stderr_and_exit_2(tmp_path, extra, words, capsys):
    _corrupt_mnist_dir(tmp_path / "corrupt")
    argv = ["train", "--preset", "classic-sigmoid", "--epochs", "1"]
    argv += [a.replace("{tmp}", str(tmp_path)) for a in extra]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and words in captured.err
    assert captured.out == "" and "Traceback" not in captured.err


class _BlockAfterLastEpoch(io.StringIO):
    """Output that, when the last epoch line is printed, puts a file where --save's folder was:
    the destination was fine when checked, and saving then fails as a full disk would."""

    def __init__(self, folder, last_line):
        super().__init__()
        self.folder, self.last_line = folder, last_line

    def write(self, text):
        if self.last_line in text and self.folder.is_dir():
            self.folder.rmdir()
            self.folder.write_text("in the way")
        return super().write(text)


def test_a_save_failing_after_training_keeps_the_model_in_the_working_directory(
    tmp_path, monkeypatch, capsys
):
    work, dest = tmp_path / "work", tmp_path / "out"
    work.mkdir()
    dest.mkdir()
    monkeypatch.chdir(work)
    args = build_parser().parse_args(
        ["train", "--preset", "digits-8x8", "--epochs", "2", "--save", str(dest / "m.npz")]
    )
    out = _BlockAfterLastEpoch(dest, "epoch 2/2")
    assert run_train(args, out) == 1  # saved, but not where asked
    err = capsys.readouterr().err
    rescued = list(work.glob("digit-net-rescued-*-m.npz"))
    assert len(rescued) == 1 and f"saved to {rescued[0]}" in err and err.count("\n") == 1
    assert f"saved {rescued[0]}" in out.getvalue()
    _, cfg, meta = load_model(rescued[0])
    assert cfg.epochs == 2 and 0 < meta["test_acc"] <= 1


def test_summary_lists_each_layer_and_the_same_parameter_count_as_the_network():
    import numpy as np

    from netlib.network import MLP

    buf = io.StringIO()
    argv = ["train", "--preset", "digits-8x8", "--hidden", "32,16", "--summary"]
    args = build_parser().parse_args(argv)
    assert run_train(args, out=buf) == 0
    out = buf.getvalue()
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.strip()}
    assert rows["input"][1] == "1×8×8" and rows["dense32"][1:3] == ["32", "2,080"]
    net = MLP.create([64, 32, 16, 10], "sigmoid", "xavier", np.random.default_rng(0))
    params = sum(w.size + b.size for w, b in zip(net.weights, net.biases, strict=True))
    assert rows["total"][1] == f"{params:,}" and out.splitlines()[-1].startswith("memory ≈")
    assert "epoch" not in out  # nothing trained


def test_summary_of_a_data_set_without_a_known_shape_is_one_line_and_exit_2(capsys):
    argv = ["train", "--preset", "digits-8x8", "--dataset", "upload-0123456789ab", "--summary"]
    assert main(argv) == 2
    assert capsys.readouterr().err.startswith("error: --summary needs a built-in data set")
