"""A person's marks on test samples, "ambiguous" or "mislabeled" (issue 20): kept per data set
in one small JSON file beside the runs (`sample_marks.json`), so they outlive the runs that
showed the samples and a rebuilt run history. Bounded: MAX_MARKS marks, MAX_BYTES on read."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from netlib.atomic import atomic_write
from runlayer.errors import StoreError

FILE_NAME = "sample_marks.json"
KINDS = ("ambiguous", "mislabeled")
MAX_MARKS = 10_000
MAX_BYTES = 2 * 10**6


class SampleMarks:
    def __init__(self, home: Path) -> None:
        self.path = Path(home) / FILE_NAME
        self._lock = threading.Lock()

    def _read(self) -> dict[str, dict[str, str]]:
        try:
            if self.path.stat().st_size > MAX_BYTES:
                raise StoreError(f"{FILE_NAME} is larger than {MAX_BYTES:,} bytes: not read")
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise StoreError(f"{FILE_NAME} cannot be read: {exc}") from None
        if not isinstance(data, dict):
            raise StoreError(f"{FILE_NAME} does not hold marks")
        return {
            str(ds): {str(k): v for k, v in marks.items() if v in KINDS}
            for ds, marks in data.items()
            if isinstance(marks, dict)
        }

    def of(self, dataset: str) -> dict[int, str]:
        """sample index -> mark, for one data set."""
        with self._lock:
            marks = self._read().get(dataset, {})
        return {int(k): v for k, v in marks.items() if k.isdigit()}

    def set(self, dataset: str, sample: int, mark: str | None) -> None:
        """Mark a sample (or clear its mark with None)."""
        if mark is not None and mark not in KINDS:
            raise ValueError(f"mark {mark!r}: use one of {', '.join(KINDS)}")
        if int(sample) < 0:
            raise ValueError(f"sample {sample}: an index is 0 or more")
        with self._lock:
            data = self._read()
            marks = data.setdefault(dataset, {})
            if mark is None:
                marks.pop(str(int(sample)), None)
            else:
                if sum(len(m) for m in data.values()) >= MAX_MARKS and str(sample) not in marks:
                    raise StoreError(f"{MAX_MARKS:,} marks at most: clear some first")
                marks[str(int(sample))] = mark
            text = json.dumps(data, sort_keys=True).encode()
            try:
                atomic_write(self.path, lambda f: f.write(text))
            except OSError as exc:
                raise StoreError(f"could not save the mark: {exc}") from exc
