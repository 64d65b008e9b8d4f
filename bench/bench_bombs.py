"""Hostile inputs from issue 15: peak RSS and time until each is refused, in a capped child.

Run from the repository root: `python bench/bench_bombs.py` (about a minute; it writes the
bombs to a temporary folder, ~30 MB); `python bench/bench_bombs.py legit` runs only the cases
whose label holds one of the words given. Each bomb is parsed in a fresh child process whose
address space is capped (RLIMIT_AS, 1.5 GB) with a time ceiling, the way the dashboard and the
CLI parse it; the child reports its RSS before and after (ru_maxrss) and what it said. Each
upload's time is also given per 10 MB of the file and of its text, against issue 15's goal.
tests/test_bombs.py builds the same bombs (smaller where size does not change the outcome).
"""

from __future__ import annotations

import gzip
import io
import json
import os
import resource
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

GOAL_S_PER_10MB = 5.0  # issue 15: refused or accepted within 5 s of parsing per 10 MB uploaded
AS_CAP = 1536 * 2**20  # the child's address-space cap: a regression fails instead of swapping
TIME_CEILING = 300.0
_PIECE = 2**22


# -- builders: each writes a small file that claims or inflates to something huge -------------
def gzip_repeated(path: Path, first: bytes, unit: bytes, total: int, level: int = 9) -> Path:
    """gzip of `first` then `unit` repeated up to `total` bytes, compressed piece by piece."""
    packer = zlib.compressobj(level, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = unit * max(1, _PIECE // len(unit))
    with path.open("wb") as f:
        f.write(packer.compress(first))
        done = len(first)
        while done < total:
            piece = block[: total - done]
            f.write(packer.compress(piece))
            done += len(piece)
        f.write(packer.flush())
    return path


def csv_many_lines(path: Path, lines: int = 100_000_000) -> Path:
    """The issue's 100 M short lines (190 KB gzipped): a valid 2x2 header, then blank lines."""
    return gzip_repeated(path, b"label,p0,p1,p2,p3\n", b"\n", lines)


def csv_tiny_rows(path: Path, rows: int = 50_000_000, side: int = 1) -> Path:
    """Valid rows of side x side images (the issue's 1x1 rows: 50 M images in 290 KB)."""
    row = ",".join(["0"] * (side * side + 1)).encode() + b"\n"
    return gzip_repeated(path, b"", row, rows * len(row))


def empty_gzip_members(path: Path, size: int = 10 * 2**20) -> Path:
    """Back-to-back empty gzip members (20 bytes each): 10 MB is ~520,000 members."""
    member = gzip.compress(b"", mtime=0)
    path.write_bytes(member * (size // len(member)))
    return path


def model_bomb(path: Path, inflated: int = 2 * 2**30, level: int = 9) -> Path:
    """A valid 784-64-10 model file whose W0.npy member inflates to `inflated` bytes of zeros."""
    import numpy as np

    from netlib.config import NetConfig
    from netlib.modelfile import model_bytes
    from netlib.network import MLP

    net = MLP.create([784, 64, 10], "relu", "he", np.random.default_rng(0))
    good = zipfile.ZipFile(io.BytesIO(model_bytes(net, NetConfig(hidden=(64,)))))
    npy = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        npy, {"descr": "<f8", "fortran_order": False, "shape": (784, 64)}
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
        for info in good.infolist():
            if info.filename != "W0.npy":
                zf.writestr(info.filename, good.read(info))
        with zf.open("W0.npy", "w", force_zip64=True) as member:
            member.write(npy.getvalue())
            zeros, done = bytes(_PIECE * 4), len(npy.getvalue())
            while done < inflated:
                piece = zeros[: inflated - done]
                member.write(piece)
                done += len(piece)
    return path


def mnist_dir_bomb(folder: Path, inflated: int = 2 * 2**30, level: int = 9) -> Path:
    """An --mnist-dir whose train images are a valid 60000x28x28 IDX header then `inflated`
    bytes of zeros; the other three files are small and valid."""
    import numpy as np

    from netlib.data import write_idx

    folder.mkdir(parents=True, exist_ok=True)
    head = struct.pack(">HBB3I", 0, 8, 3, 60_000, 28, 28)
    gzip_repeated(folder / "train-images-idx3-ubyte.gz", head, bytes(2**16), inflated, level)
    (folder / "train-labels-idx1-ubyte").write_bytes(write_idx(np.zeros(60_000, np.uint8)))
    (folder / "t10k-images-idx3-ubyte").write_bytes(write_idx(np.zeros((10, 28, 28), np.uint8)))
    (folder / "t10k-labels-idx1-ubyte").write_bytes(write_idx(np.zeros(10, np.uint8)))
    return folder


def legit_csv(path: Path, rows: int = 60_000) -> Path:
    """A real-looking upload: `rows` MNIST sample images (repeated) as a gzipped Kaggle CSV."""
    from netlib.data import load_dataset

    ds = load_dataset("mnist-sample")
    with gzip.open(path, "wt", compresslevel=6) as f:
        f.write("label," + ",".join(f"pixel{i}" for i in range(784)) + "\n")
        for i in range(rows):
            j = i % len(ds.train_labels)
            f.write(f"{ds.train_labels[j]}," + ",".join(map(str, ds.train_images[j].ravel())))
            f.write("\n")
    return path


# -- the capped child ----------------------------------------------------------------------
CHILD = r"""
import json, resource, sys, time
kind, path = sys.argv[1], sys.argv[2]
from pathlib import Path
from netlib.data import DataError, parse_uploads
from netlib.modelfile import ModelFileError, load_model
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t0 = time.monotonic()
try:
    if kind == "upload":
        data = Path(path).read_bytes()
        images, labels = parse_uploads([(Path(path).name, data)])
        outcome = f"accepted {images.shape}"
    else:
        load_model(path)
        outcome = "accepted"
except (DataError, ModelFileError) as exc:
    outcome = f"refused: {exc}"
seconds = time.monotonic() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"outcome": outcome, "seconds": seconds, "rss_before_mb": before,
                  "rss_peak_mb": peak}))
"""


def _cap() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (AS_CAP, AS_CAP))


def _env() -> dict[str, str]:
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def run_capped(argv: list[str], timeout: float = TIME_CEILING) -> dict:
    """Run argv in a capped child; returncode, output, wall seconds and the child's ru_maxrss."""
    t0 = time.monotonic()
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_cap,
        env=_env(),
        cwd=ROOT,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        err += f"\n(killed after the {timeout:.0f} s ceiling)"
    return {
        "returncode": proc.returncode,
        "stdout": out,
        "stderr": err,
        "wall": time.monotonic() - t0,
    }


def parse_in_child(kind: str, path: Path, timeout: float = TIME_CEILING) -> dict:
    """kind = 'upload' (parse_uploads, as the Data page does) or 'model' (load_model)."""
    res = run_capped([sys.executable, "-c", CHILD, kind, str(path)], timeout)
    if res["returncode"] == 0 and res["stdout"].strip():
        res.update(json.loads(res["stdout"].strip().splitlines()[-1]))
    else:
        res["outcome"] = f"crashed (exit {res['returncode']}): {res['stderr'].strip()[-300:]}"
    return res


CLI_CHILD = r"""
import resource, sys
from netlib.cli import main
rc = main(sys.argv[1:])
sys.stdout.write(f"maxrss {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f}\n")
sys.exit(rc)
"""


def cli_in_child(mnist_dir: Path, timeout: float = TIME_CEILING) -> dict:
    """`python -m netlib train ... --mnist-dir DIR` (through main()), reporting its ru_maxrss."""
    argv = [sys.executable, "-c", CLI_CHILD, "train", "--preset", "classic-sigmoid"]
    res = run_capped(argv + ["--epochs", "1", "--mnist-dir", str(mnist_dir)], timeout)
    last = res["stdout"].strip().splitlines()[-1:] or [""]
    res["rss_mb"] = float(last[0].split()[1]) if last[0].startswith("maxrss") else float("nan")
    res["outcome"] = f"exit {res['returncode']}: {res['stderr'].strip()[-300:]}"
    return res


def text_size(path: Path) -> int:
    """Bytes of text the parser sees: the inflated size of a .gz (all members), else the file's."""
    if path.suffix != ".gz":
        return path.stat().st_size
    with gzip.open(path, "rb") as f:
        return sum(len(piece) for piece in iter(lambda: f.read(2**22), b""))


def rate_line(seconds: float, file_bytes: int, text_bytes: int, accepted: bool) -> str:
    """Seconds per 10 MB of the upload (and of its text, when all of it was read), next to
    the goal; MB/s too."""
    per_file = seconds / (file_bytes / (10 * 2**20))
    verdict = "meets" if per_file <= GOAL_S_PER_10MB else "MISSES"
    line = f"    {per_file:.2f} s per 10 MB of file ({file_bytes / 2**20 / seconds:.1f} MB/s), "
    if accepted and text_bytes:
        per_text = seconds / (text_bytes / (10 * 2**20))
        line += f"{per_text:.2f} s per 10 MB of text ({text_bytes / 2**20 / seconds:.1f} MB/s), "
    else:
        line += "refused before reading all "
    line += f"{text_bytes / 2**20:.1f} MB of text"
    return f"{line}: {verdict} the goal of {GOAL_S_PER_10MB:.0f} s per 10 MB of file"


def main(words: list[str]) -> None:
    def wanted(label: str) -> bool:
        return not words or any(w.lower() in label.lower() for w in words)

    with tempfile.TemporaryDirectory(prefix="bombs-") as tmp:
        tmp = Path(tmp)
        builders = [
            ("csv.gz, 100 M short lines", "upload", lambda: csv_many_lines(tmp / "lines.csv.gz")),
            ("csv.gz, 50 M 1x1 rows", "upload", lambda: csv_tiny_rows(tmp / "1x1.csv.gz")),
            (
                "csv.gz, 20 M 2x2 rows",
                "upload",
                lambda: csv_tiny_rows(tmp / "2x2.csv.gz", rows=20_000_000, side=2),
            ),
            ("10 MB of empty gzip members", "upload", lambda: empty_gzip_members(tmp / "e.csv.gz")),
            ("model file inflating to 2 GiB", "model", lambda: model_bomb(tmp / "model.npz")),
            ("legit: 60,000 28x28 rows csv.gz", "upload", lambda: legit_csv(tmp / "legit.csv.gz")),
        ]
        cases = [(label, kind, build()) for label, kind, build in builders if wanted(label)]
        print(f"{'bomb':34} {'file':>9} {'refused in':>10} {'peak RSS':>9} {'above idle':>10}")
        for label, kind, path in cases:
            res = parse_in_child(kind, path)
            size = path.stat().st_size / 2**10
            above = res.get("rss_peak_mb", 0) - res.get("rss_before_mb", 0)
            seconds = res.get("seconds", res["wall"])
            print(
                f"{label:34} {size:7.0f}KB {seconds:9.2f}s "
                f"{res.get('rss_peak_mb', float('nan')):7.0f}MB {above:8.0f}MB"
            )
            print(f"    {res['outcome'][:160]}")
            if kind == "upload":
                accepted = res["outcome"].startswith("accepted")
                print(rate_line(seconds, path.stat().st_size, text_size(path), accepted))
        label = "--mnist-dir gzip bomb (2 GiB), CLI"
        if not wanted(label):
            return
        folder = mnist_dir_bomb(tmp / "mnist")
        size = (folder / "train-images-idx3-ubyte.gz").stat().st_size / 2**10
        res = cli_in_child(folder)
        print(
            f"{label:34} {size:7.0f}KB {res['wall']:9.2f}s "
            f"{res['rss_mb']:7.0f}MB {'(whole CLI)':>10}"
        )
        print(f"    {res['outcome'][:160]}")


if __name__ == "__main__":
    main(sys.argv[1:])
