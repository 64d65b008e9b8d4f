"""Marks on test samples (issue 20): kept per data set across restarts, cleared, checked."""

from __future__ import annotations

import pytest

from runlayer.errors import StoreError
from runlayer.marks import FILE_NAME, SampleMarks


def test_marks_are_kept_per_data_set_and_survive_a_new_reader(tmp_path):
    marks = SampleMarks(tmp_path)
    marks.set("mnist-sample", 12, "mislabeled")
    marks.set("mnist-sample", 3, "ambiguous")
    marks.set("digits-8x8", 12, "ambiguous")
    again = SampleMarks(tmp_path)
    assert again.of("mnist-sample") == {12: "mislabeled", 3: "ambiguous"}
    assert again.of("digits-8x8") == {12: "ambiguous"}
    again.set("mnist-sample", 12, None)
    assert SampleMarks(tmp_path).of("mnist-sample") == {3: "ambiguous"}
    assert SampleMarks(tmp_path).of("fashion-mnist") == {}


def test_bad_marks_and_a_damaged_file_get_clear_messages(tmp_path):
    marks = SampleMarks(tmp_path)
    with pytest.raises(ValueError, match="use one of ambiguous, mislabeled"):
        marks.set("mnist-sample", 1, "wrong")
    (tmp_path / FILE_NAME).write_text("{not json")
    with pytest.raises(StoreError, match="cannot be read"):
        marks.of("mnist-sample")
    (tmp_path / FILE_NAME).write_text('{"mnist-sample": {"4": "ambiguous", "5": "rubbish"}}')
    assert marks.of("mnist-sample") == {4: "ambiguous"}  # unknown kinds are dropped
