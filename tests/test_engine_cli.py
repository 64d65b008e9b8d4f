"""The headless command line: one-line errors with exit code 2, a JSON result line, --save."""

import io
import json
import subprocess
import sys

import pytest

from netlib.cli import build_parser, main, parse_hidden, run_train
from netlib.modelfile import load_model


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["train", "--preset", "nope"], "invalid choice"),
        (["train", "--preset", "wide-relu", "--lr", "-1"], "lr"),
        (["train", "--preset", "wide-relu", "--epochs", "x"], "invalid int"),
        (["train", "--preset", "wide-relu", "--hidden", "3,a"], "hidden"),
        (["train", "--preset", "wide-relu", "--activation", "swish"], "activation"),
        (["train"], "required"),
        ([], "required"),
    ],
)
def test_bad_options_give_one_line_and_exit_2(argv, words, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err and "Traceback" not in err


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
