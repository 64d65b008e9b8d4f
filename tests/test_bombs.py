"""Hostile files from issue 15, each small on disk, parsed in a child process whose address
space is capped (1.5 GB) under a time ceiling: every one is refused with its own clear message,
and a legitimate file of the same kind still parses. The builders are bench/bench_bombs.py's,
which prints the measured figures."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import bench_bombs as bombs  # noqa: E402

CEILING = 120.0  # seconds: a guard against hangs, far above the second each one takes


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("bombs")


def _refusal(res: dict) -> str:
    """The child's refusal message (fails if the file was accepted or the child crashed)."""
    assert res["outcome"].startswith("refused: "), res["outcome"]
    return res["outcome"]


def _mb_above_idle(res: dict) -> float:
    """Peak RSS of the child while parsing, above what it held just before (the issue's goal:
    under 1 GB above the idle server)."""
    return res["rss_peak_mb"] - res["rss_before_mb"]


def test_csv_of_100_million_short_lines_is_refused_by_its_line_count(folder):
    path = bombs.csv_many_lines(folder / "lines.csv.gz")
    assert path.stat().st_size < 300_000
    res = bombs.parse_in_child("upload", path, CEILING)
    assert "over 2,000,001 lines" in _refusal(res)
    assert _mb_above_idle(res) < 1024


def test_csv_of_1x1_images_is_refused_on_its_header(folder):
    path = bombs.csv_tiny_rows(folder / "1x1.csv.gz")  # 50 M valid rows, 200 MB inflated
    res = bombs.parse_in_child("upload", path, CEILING)
    assert "image side 1 is outside 2..1024" in _refusal(res)
    assert _mb_above_idle(res) < 1024


def test_csv_of_millions_of_valid_2x2_rows_is_refused_by_the_image_count(folder):
    path = bombs.csv_tiny_rows(folder / "2x2.csv.gz", rows=20_000_000, side=2)
    res = bombs.parse_in_child("upload", path, CEILING)
    assert "over the limit of 1,000,000" in _refusal(res)
    assert _mb_above_idle(res) < 1024


def test_ten_megabytes_of_empty_gzip_members_is_refused_by_the_member_count(folder):
    path = bombs.empty_gzip_members(folder / "empty.csv.gz")
    res = bombs.parse_in_child("upload", path, CEILING)
    assert "over 10,000 members" in _refusal(res)
    assert _mb_above_idle(res) < 1024


def test_model_file_inflating_past_the_cap_is_refused_by_its_declared_size(folder):
    # 1.6 GiB inflated does not fit under the child's 1.5 GB cap: refused from the zip directory
    path = bombs.model_bomb(folder / "model.npz", inflated=1600 * 2**20, level=1)
    res = bombs.parse_in_child("model", path, CEILING)
    assert "array W0 unpacks to 1,677,721,600 bytes, more than its shape (784, 64)" in _refusal(res)
    assert _mb_above_idle(res) < 1024


def test_mnist_dir_with_a_gzip_bomb_is_refused_by_the_cli_in_one_line(folder):
    mnist = bombs.mnist_dir_bomb(folder / "mnist", inflated=1600 * 2**20, level=1)
    res = bombs.cli_in_child(mnist, CEILING)
    lines = res["stderr"].strip().splitlines()
    assert res["returncode"] == 2 and len(lines) == 1, res["stderr"]
    assert lines[0].startswith("error: train-images-idx3-ubyte.gz: "), lines[0]
    assert res["rss_mb"] < 1024


def test_a_legitimate_upload_of_twenty_thousand_images_parses_under_the_same_cap(folder):
    path = bombs.legit_csv(folder / "legit.csv.gz", rows=20_000)
    res = bombs.parse_in_child("upload", path, CEILING)
    assert res["outcome"] == "accepted (20000, 28, 28)", res["outcome"]
    assert _mb_above_idle(res) < 1024
