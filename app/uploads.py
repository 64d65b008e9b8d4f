"""Uploads: parse in memory, validate, and make the data set trainable on this server."""

from __future__ import annotations

import threading

import streamlit as st

from netlib.data import DataError
from netlib.data.dataset import Dataset
from netlib.data.uploads import dataset_from_upload, parse_uploads

UPLOAD_TYPES = ["csv", "npz", "gz", "idx", "idx1-ubyte", "idx3-ubyte", "ubyte"]


@st.cache_resource
def _upload_labels() -> tuple[dict[str, str], threading.Lock]:
    """id -> label of every upload on this server (the datasets live in the run registry)."""
    return {}, threading.Lock()


def uploaded_choices(registry) -> dict[str, str]:
    labels, lock = _upload_labels()
    with lock:
        return dict(labels)


def add_upload(registry, files: list[tuple[str, bytes]]) -> tuple[str, Dataset]:
    """Parse and register an upload; raises DataError with a message naming the file."""
    if not files:
        raise DataError("choose a CSV, an .npz, or an IDX images file and its labels file")
    images, labels = parse_uploads(files)
    base = " + ".join(name for name, _ in files)
    ds = dataset_from_upload(images, labels, name=base)
    table, lock = _upload_labels()
    with lock:
        dataset_id = f"upload-{len(table) + 1}"
        h, w = ds.image_shape
        table[dataset_id] = (
            f"Upload: {base} ({len(ds.train_labels) + len(ds.test_labels):,} images {h}×{w})"
        )
    registry.add_dataset(dataset_id, ds)
    return dataset_id, ds


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
                st.error(str(exc))
                return
            st.session_state["f_dataset"] = dataset_id
            st.success(
                f"Added: {len(ds.train_labels):,} training and {len(ds.test_labels):,} test "
                f"images, {ds.num_classes} classes."
            )
