"""Where run data lives on disk. Paths are built only from generated ids, never from user text."""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from pathlib import Path

from runlayer.errors import NoWeightsError, RunNotFoundError, StoreError

RUN_ID_RE = re.compile(r"[0-9a-f]{12}")
EPOCH_FILE_RE = re.compile(r"epoch-(\d{4,})\.npz")
DB_NAME = "runs.sqlite3"


def default_home() -> Path:
    """$NETLIB_HOME, else the per-user data directory (XDG-aware): runs outlive a cache purge."""
    if os.environ.get("NETLIB_HOME"):
        return Path(os.environ["NETLIB_HOME"]).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "digit-net"


def new_run_id() -> str:
    """12 random hex digits: unguessable enough, short enough for a URL, safe in a path."""
    return secrets.token_hex(6)


def is_run_id(value: object) -> bool:
    return isinstance(value, str) and RUN_ID_RE.fullmatch(value) is not None


def check_run_id(value: object) -> str:
    """Refuse anything that is not a generated id before it gets near a path or a query."""
    if not is_run_id(value):
        raise RunNotFoundError(f"no run with id {value!r}")
    return value  # type: ignore[return-value]


def run_dir(home: Path, run_id: str) -> Path:
    return home / "runs" / check_run_id(run_id)


def epoch_path(home: Path, run_id: str, epoch: int) -> Path:
    return run_dir(home, run_id) / f"epoch-{int(epoch):04d}.npz"


def best_path(home: Path, run_id: str) -> Path:
    return run_dir(home, run_id) / "best.npz"


def saved_epoch_numbers(folder: Path) -> list[int]:
    """Epochs with a weight file in folder, ascending; the files themselves are the truth."""
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    return sorted(int(m.group(1)) for n in names if (m := EPOCH_FILE_RE.fullmatch(n)))


def weights_path(home: Path, run_id: str, checkpoint: int | str) -> Path:
    """The file for an epoch number, "best" or "last"; NoWeightsError when it does not exist."""
    saved = saved_epoch_numbers(run_dir(home, run_id))
    if checkpoint == "best":
        path = best_path(home, run_id)
    elif checkpoint == "last":
        if not saved:
            raise NoWeightsError(f"run {run_id} has no saved weights: no epoch finished")
        path = epoch_path(home, run_id, saved[-1])
    elif isinstance(checkpoint, int) and not isinstance(checkpoint, bool):
        path = epoch_path(home, run_id, checkpoint)
    else:
        raise ValueError(
            f"checkpoint must be an epoch number, 'best' or 'last', got {checkpoint!r}"
        )
    if not path.is_file():
        raise NoWeightsError(
            f"run {run_id} has no {checkpoint} weights (saved epochs: {saved or 'none'})"
        )
    return path


def prepare_home(home: str | os.PathLike | None) -> Path:
    """Create the data directory and prove it is writable now, not at the first epoch's save."""
    path = Path(home).expanduser() if home is not None else default_home()
    try:
        (path / "runs").mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=path, prefix=".write-test-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise StoreError(
            f"the run data directory {str(path)!r} is not writable "
            f"({exc.strerror or exc}); set $NETLIB_HOME to a writable directory"
        ) from None
    return path.resolve()
