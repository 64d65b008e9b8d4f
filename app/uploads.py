"""Uploads: parse in memory, validate, keep on disk by content, make the data set trainable."""

from __future__ import annotations

import streamlit as st

from app import tab_state
from app.plain_text import md_plain
from netlib.data import DataError
from netlib.data.dataset import Dataset
from netlib.data.uploads import parse_uploads
from runlayer.errors import RunError

UPLOAD_TYPES = ["csv", "npz", "gz", "idx", "idx1-ubyte", "idx3-ubyte", "ubyte"]


def uploaded_choices(registry) -> dict[str, str]:
    """id -> label of every upload kept in this data directory, newest first."""
    return {info.id: info.label for info in registry.uploads.list()}


def add_upload(registry, files: list[tuple[str, bytes]]) -> tuple[str, Dataset]:
    """Parse and keep an upload; raises DataError with a message naming the file.

    The id comes from the content: the same file again returns the data set already kept.
    """
    if not files:
        raise DataError("choose a CSV, an .npz, or an IDX images file and its labels file")
    images, labels = parse_uploads(files)
    name = " + ".join(name for name, _ in files)
    try:
        info, ds = registry.save_upload(images, labels, name)
    except RunError as exc:  # the disk is full or the data directory is not writable
        raise DataError(str(exc)) from None
    return info.id, ds


def upload_expander(registry) -> None:
    """A small uploader on the Train page; the new data set is selected when it is valid."""
    with st.expander("Upload a data set (CSV, .npz or IDX pair)"):
        files = st.file_uploader(
            "label,pixel0,… CSV · .npz with x/y · IDX images + labels",
            type=UPLOAD_TYPES,
            accept_multiple_files=True,
            key="upload_files",
        )
        if st.button("Add data set", disabled=not files):
            try:
                dataset_id, ds = add_upload(registry, [(f.name, f.getvalue()) for f in files])
            except DataError as exc:
                st.error(md_plain(str(exc)))  # the message starts with the file name
                return
            tab_state.choose_dataset_on_form(dataset_id)
            st.success(
                f"Added: {len(ds.train_labels):,} training and {len(ds.test_labels):,} test "
                f"images, {ds.num_classes} classes."
            )
