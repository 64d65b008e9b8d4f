"""`python -m netlib sweep`: bad input is one line on stderr and exit 2 before any trial; a
small sweep prints its table, the verdict and one JSON line whose points match the table."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from netlib.cli import main

SMALL = ["sweep", "--base", "digits-8x8", "--epochs", "3", "--workers", "2"]


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--vary", "lr=0..1:log"], "axis lr: 0.0 is outside"),
        (["--vary", "seed=1|2"], "axis 'seed' is the same for every point"),
        (["--vary", "lr=0.1|0.2", "--seeds", "9"], "seeds per point: 9"),
        (["--vary", "lr=0.1|0.2", "--objective", "pair:4-4"], "objective"),
        (["--vary", "lr=0.1|0.2", "--strategy", "bayes"], "invalid choice"),
        (["--vary", "a=1", "--vary", "b=2", "--vary", "c=3", "--vary", "d=4"], "axis 'a'"),
        (
            ["--vary", "lr=0.1|0.2", "--dataset", "mnist", "--mnist-dir", "/nonexistent"],
            "MNIST folder /nonexistent does not exist",
        ),
        ([], "--vary"),
        (["--vary", "lr=0.1|0.2", "--workers", "0"], "--workers 0: use 1..256"),
    ],
)
def test_bad_sweeps_give_one_line_and_exit_2(extra, words, capsys):
    assert main(SMALL + extra) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and words in err


def test_a_sweep_prints_its_table_verdict_and_one_json_line():
    argv = SMALL + ["--vary", "lr=0.1|0.5", "--vary", "hidden=8|32", "--seeds", "2", "--json"]
    proc = subprocess.run(
        [sys.executable, "-m", "netlib", *argv], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[0].startswith("4 points x 2 seeds on local; objective: validation accuracy")
    result = json.loads(lines[-1])
    assert [p["point"] for p in result["points"]] == [
        "lr=0.1, hidden=8", "lr=0.1, hidden=32", "lr=0.5, hidden=8", "lr=0.5, hidden=32",
    ]  # fmt: skip
    assert all(p["state"] == "complete" and p["n"] == 2 for p in result["points"])
    best = max(result["points"], key=lambda p: p["mean"])
    assert result["best"] == best and any(line.startswith("Best: ") for line in lines)
    for p in result["points"]:  # the table shows the same means
        assert any(line.startswith(p["point"]) and f"{p['mean']:.4f}" in line for line in lines)
