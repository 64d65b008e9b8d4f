"""The Data page's pieces: pick a data set (downloading only on request), preview it, upload
one, and list or delete the uploads kept in the data directory."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

import figures
from app import tab_state
from app.plain_text import md_plain
from app.train_form import dataset_choices
from app.uploads import UPLOAD_TYPES, add_upload, uploaded_choices
from netlib import scoring
from netlib.data import catalog
from netlib.data.dataset import DataError, Dataset
from runlayer.errors import RunError
from runlayer.registry import UploadInUseError

DATASET_KEY = "keep_data_dataset"
UPLOAD_RESULT = "data_upload_result"
DELETE_KEY, DELETE_RESULT = "data_delete_upload", "data_delete_result"


def choose_dataset(registry) -> str:
    """Select box of built-in data sets and this server's uploads; remembers the choice."""
    choices = dataset_choices(uploaded_choices(registry))
    st.session_state.setdefault(DATASET_KEY, tab_state.form_dataset())
    if st.session_state[DATASET_KEY] not in choices:
        st.session_state[DATASET_KEY] = "mnist-sample"
    st.selectbox(
        "Data set", list(choices), key=DATASET_KEY, persist_state="session", format_func=choices.get
    )
    info = catalog.DATASETS.get(st.session_state[DATASET_KEY])
    if info is not None:
        st.caption(f"{info.description} Licence: {info.licence}. Source: {info.source_url}")
    return st.session_state[DATASET_KEY]


def needs_download(dataset_id: str) -> bool:
    info = catalog.DATASETS.get(dataset_id)
    return info is not None and info.needs_download and not catalog.is_cached(dataset_id)


def load_or_offer_download(registry, dataset_id: str) -> Dataset | None:
    """The data set, or None after showing why not; a download starts only from its button."""
    if needs_download(dataset_id):
        return _download(registry, catalog.DATASETS[dataset_id])
    try:
        return registry.dataset(dataset_id)
    except DataError as exc:
        st.error(f"Cannot load this data set: {exc}")
        return None


def _download(registry, info) -> Dataset | None:
    mb = info.download_bytes / 1e6
    st.info(
        f"**{info.label}** is not on this computer yet: it needs a one-time download of "
        f"about {mb:.0f} MB. Nothing is downloaded until you press the button."
    )
    if not st.button(f"⬇ Download ({mb:.0f} MB)", key="data_download", type="primary"):
        return None
    bar = st.progress(0.0, text="Connecting…")

    def progress(done: int, total: int | None, name: str) -> None:
        size = f" of {total / 1e6:.1f}" if total else ""
        frac = min(1.0, done / total) if total else 0.0
        bar.progress(frac, text=f"{name}: {done / 1e6:.1f}{size} MB")

    try:
        ds = registry.dataset(info.id, progress=progress)
    except DataError as exc:
        bar.empty()
        st.error(f"Download failed: {exc}")
        return None
    bar.progress(1.0, text="Downloaded and verified.")
    return ds


def facts(ds: Dataset) -> str:
    """What a person needs to know before training on it (also an upload's validation result)."""
    h, w = ds.image_shape
    names = ", ".join(ds.class_names)
    return (
        f"{len(ds.train_labels):,} training and {len(ds.test_labels):,} test images, "
        f"{h}×{w} pixels with values 0–{ds.max_value}, {ds.num_classes} classes: {names}"
    )


@st.cache_data(max_entries=8, show_spinner=False)
def _summary(dataset_id: str, fingerprint: tuple, _ds: Dataset) -> dict[str, np.ndarray]:
    """Class counts and mean images, once per data set (60,000 images take a moment)."""
    k = _ds.num_classes
    return {
        "train_counts": scoring.class_counts(_ds.train_labels, k),
        "test_counts": scoring.class_counts(_ds.test_labels, k),
        "means": scoring.mean_images(_ds.train_images, _ds.train_labels, k),
    }


def summary(dataset_id: str, ds: Dataset) -> dict[str, np.ndarray]:
    fingerprint = (ds.name, len(ds.train_labels), len(ds.test_labels), ds.image_shape)
    return _summary(dataset_id, fingerprint, ds)


def _next_seed() -> None:
    st.session_state["keep_data_seed"] += 1


def sample_grid(ds: Dataset) -> None:
    """A row of random images per class, from the split chosen here."""
    st.session_state.setdefault("keep_data_split", "train")
    st.session_state.setdefault("keep_data_per_class", 8)
    st.session_state.setdefault("keep_data_seed", 0)
    c1, c2, c3 = st.columns([1, 2, 1], vertical_alignment="bottom")
    split = c1.radio(
        "Split", ["train", "test"], key="keep_data_split", persist_state="session", horizontal=True
    )
    per_class = c2.slider(
        "Samples per class", 1, 20, key="keep_data_per_class", persist_state="session"
    )
    c3.button("🔀 Other samples", on_click=_next_seed)
    images = ds.train_images if split == "train" else ds.test_images
    labels = ds.train_labels if split == "train" else ds.test_labels
    seed = st.session_state["keep_data_seed"]  # moved by the button's callback
    rows = scoring.class_samples(labels, ds.num_classes, per_class, seed)
    if rows.size == 0:
        st.info(f"The {split} split is empty.")
        return
    flat = rows.ravel()
    tiles = np.where((flat >= 0)[:, None, None], images[np.maximum(flat, 0)], np.nan)
    titles = [ds.class_names[c] if j == 0 else "" for c, j in np.ndindex(rows.shape)]
    fig = figures.image_grid(tiles, titles, cols=rows.shape[1], max_value=ds.max_value)
    st.plotly_chart(fig, key="data_samples", width="stretch")


def preview(dataset_id: str, ds: Dataset) -> None:
    """What the network will see: samples, class balance and the average image of each class."""
    st.markdown(f"**{md_plain(ds.name)}**: {facts(ds)}.")
    s = summary(dataset_id, ds)
    st.subheader("Samples per class")
    sample_grid(ds)
    left, right = st.columns(2)
    counts = figures.class_counts(ds.class_names, s["train_counts"], s["test_counts"])
    left.plotly_chart(counts, key="data_counts", width="stretch")
    right.plotly_chart(figures.mean_images(s["means"], ds.class_names), key="data_means")


def _add_clicked(registry) -> None:
    files = st.session_state.get("data_upload_files") or []
    try:
        dataset_id, ds = add_upload(registry, [(f.name, f.getvalue()) for f in files])
    except DataError as exc:
        st.session_state[UPLOAD_RESULT] = ("error", f"Not added: {md_plain(str(exc))}")
        return
    st.session_state[DATASET_KEY] = dataset_id  # preview it right away
    st.session_state[UPLOAD_RESULT] = ("success", f"Valid and added: {facts(ds)}.")


def upload_panel(registry) -> None:
    """Upload, validate and register a data set; shows the counts, shape and classes or why not."""
    files = st.file_uploader(
        "label,pixel0,… CSV · .npz with x/y · IDX images + labels",
        type=UPLOAD_TYPES,
        accept_multiple_files=True,
        key="data_upload_files",
    )
    st.button("Validate and add", disabled=not files, on_click=_add_clicked, args=(registry,))
    kind, message = st.session_state.get(UPLOAD_RESULT, (None, None))
    if kind == "error":
        st.error(message)
    elif kind == "success":
        st.success(message)


# -- the uploads kept in the data directory -------------------------------------------------------
def class_summary(names, counts) -> str:
    """'3: 0 ×20 · 1 ×20 · 2 ×20': how many classes and how balanced."""
    return f"{len(names)}: " + " · ".join(f"{n} ×{c:,}" for n, c in zip(names, counts, strict=True))


def uploads_frame(registry) -> pd.DataFrame:
    """One row per kept upload, newest first, with the runs that were trained on it."""
    users = registry.upload_users()
    rows = []
    for info in registry.uploads.list():
        h, w = info.image_shape
        runs = users.get(info.id, [])
        rows.append(
            {
                "name": info.name,
                "id": info.id,
                "images": f"{info.n_train:,} train + {info.n_test:,} test, {h}×{w}",
                "classes": class_summary(info.class_names, info.class_counts),
                "runs using it": ", ".join(r.name for r in runs) or "none",
            }
        )
    return pd.DataFrame(rows, columns=["name", "id", "images", "classes", "runs using it"])


def _delete_clicked(registry, force: bool) -> None:
    upload_id = st.session_state.get(DELETE_KEY)
    try:
        registry.delete_upload(upload_id, force=force)
    except UploadInUseError as exc:
        st.session_state[DELETE_RESULT] = (
            "confirm",
            f"Not deleted yet: {md_plain(str(exc))}.",
            upload_id,
        )
        return
    except (RunError, DataError) as exc:
        st.session_state[DELETE_RESULT] = ("error", f"Not deleted: {md_plain(str(exc))}", upload_id)
        return
    st.session_state[DELETE_RESULT] = ("success", f"Deleted {upload_id}.", upload_id)


def uploads_panel(registry) -> None:
    """The uploads kept on this computer; deleting one used by runs asks first (or refuses)."""
    frame = uploads_frame(registry)
    kind, message, about = st.session_state.get(DELETE_RESULT, (None, None, None))
    if kind == "success":
        st.success(message)
    if frame.empty:
        st.caption("No uploaded data set yet.")
        return
    st.dataframe(frame, hide_index=True, key="data_uploads_table")
    names = dict(zip(frame["id"], frame["name"], strict=True))
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    c1.selectbox(
        "Upload to delete", list(names), key=DELETE_KEY, format_func=lambda i: f"{names[i]} · {i}"
    )
    c2.button("🗑 Delete", key="data_delete", on_click=_delete_clicked, args=(registry, False))
    if about != st.session_state.get(DELETE_KEY):
        return  # a verdict about another upload: stale once the choice changed
    if kind == "error":
        st.error(message)
    elif kind == "confirm":
        st.warning(message)
        force = (registry, True)
        st.button("Delete anyway", key="data_delete_force", on_click=_delete_clicked, args=force)
