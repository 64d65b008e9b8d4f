"""Which run, which epoch: the picker and the loader every analysis page starts from.

A page asks for a run (choose_run), one of its kept checkpoints (choose_epoch), and gets the
network evaluated once on that run's own test data (load), or a message saying why not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from app import navigation
from app.data_view import needs_download
from app.live_view import STATUS_ICONS
from app.plain_text import md_plain
from app.tab_state import watched_run
from netlib import scoring
from netlib.config import NetConfig
from netlib.data.dataset import DataError, Dataset
from netlib.modelfile import ModelFileError
from netlib.network import MLP
from netlib.training_data import scale_images
from runlayer import paths
from runlayer.errors import NoWeightsError, RunNotFoundError
from runlayer.records import RunRecord, RunStatus, split_readable

RUN_KEY, EPOCH_KEY = "keep_inspect_run", "keep_inspect_epoch"


@dataclass(frozen=True)
class Inspection:
    """One run at one saved epoch, evaluated on its test split."""

    record: RunRecord
    net: MLP
    config: NetConfig
    epoch: int | str
    data: Dataset
    evaluation: scoring.Evaluation

    @property
    def names(self) -> list[str]:
        return [str(c) for c in self.data.class_names]

    def inputs(self, images: np.ndarray) -> np.ndarray:
        """Images (N, H, W) of this run's data as the network takes them: flat, in [0, 1]."""
        return scale_images(images, self.data.max_value, self.config.dtype)


# -- choosing ----------------------------------------------------------------------------------
def pickable_runs(records: list[RunRecord]) -> list[RunRecord]:
    """Runs that can have saved weights and a config that still reads, newest first (the
    Compare page names the unreadable ones and why)."""
    readable, _ = split_readable(records)
    runs = [r for r in readable if r.status in RunStatus.HAS_WEIGHTS_TO_SHOW]
    return sorted(runs, key=lambda r: r.created, reverse=True)


def run_label(r: RunRecord) -> str:
    acc = r.final_test_acc if r.final_test_acc is not None else r.best_test_acc
    score = f" · test {acc:.1%}" if acc is not None else ""
    return f"{STATUS_ICONS.get(r.status, '')} {r.name} · {r.status} · {r.epochs_done} ep{score}"


def choose_run(store) -> RunRecord | None:
    """Run picker; says so when the remembered run was deleted or nothing can be inspected."""
    runs = {r.id: r for r in pickable_runs(store.list_runs())}
    wanted = st.session_state.get(RUN_KEY)
    if wanted is not None and wanted not in runs:
        record = store.get_run(wanted)
        if record is None:
            st.warning("The run you were inspecting no longer exists (it was deleted).")
        else:
            st.info(
                f"Run **{md_plain(record.name)}** is {record.status}, so it is not listed here."
            )
        del st.session_state[RUN_KEY]
    if not runs:
        st.info("No run to inspect yet: train one on the Train page.")
        return None
    default = watched_run() if watched_run() in runs else next(iter(runs))
    st.session_state.setdefault(RUN_KEY, default)
    run_id = st.selectbox(
        "Run",
        list(runs),
        key=RUN_KEY,
        persist_state="session",
        format_func=lambda i: run_label(runs[i]),
    )
    return runs[run_id]


def choose_checkpoint(store, come_back: str) -> tuple[RunRecord, int | str]:
    """The run and checkpoint a page works on; stops the page, after saying why, when there is
    none (come_back ends the sentence: "then come back {come_back}.")."""
    if not pickable_runs(store.list_runs()):
        st.info(f"No trained run yet. Train one on the Train page, then come back {come_back}.")
        navigation.link(navigation.TRAIN)
        st.stop()
    record = choose_run(store)
    checkpoint = choose_epoch(store, record) if record is not None else None
    if checkpoint is None:
        st.stop()
    return record, checkpoint


def choose_epoch(store, record: RunRecord) -> int | str | None:
    """Epoch picker: "best" and every saved epoch, newest first; None (explained) if none."""
    options: list[int | str] = list(reversed(store.saved_epochs(record.id)))
    if paths.best_path(store.home, record.id).is_file():
        options.insert(0, "best")
    if not options:
        when = "its first epoch ends" if record.active else "a run finishes an epoch"
        st.info(
            f"Run **{md_plain(record.name)}** has no saved weights ({record.status}, no finished "
            f"epoch): there is nothing to inspect until {when}."
        )
        return None
    if st.session_state.get(EPOCH_KEY) not in options:
        st.session_state[EPOCH_KEY] = options[0]
    best = f"best (epoch {record.best_epoch})" if record.best_epoch else "best"
    return st.selectbox(
        "Epoch",
        options,
        key=EPOCH_KEY,
        persist_state="session",
        format_func=lambda e: best if e == "best" else f"epoch {e}",
    )


# -- loading and evaluating once ----------------------------------------------------------------
@st.cache_data(max_entries=8, show_spinner="Evaluating the network on the test set…")
def _evaluated(run_id: str, epoch, dataset_id: str, loss: str, _net: MLP, _ds: Dataset):
    """Cached per (run, epoch): a saved epoch's weights never change, and ids are never reused."""
    return scoring.evaluate(_net, _ds.test_images, _ds.test_labels, _ds.max_value, loss)


def load(registry, record: RunRecord, checkpoint: int | str) -> Inspection | None:
    """Weights, data and test-set evaluation of one run at one epoch; None after saying why."""
    try:
        net, config, meta = registry.store.load_weights(record.id, checkpoint)
    except RunNotFoundError:
        st.warning("This run no longer exists (it was deleted). Pick another one.")
        return None
    except NoWeightsError as exc:
        st.info(f"Nothing to inspect: {exc}.")
        return None
    except ModelFileError as exc:
        st.error(f"The saved weights of this run cannot be read: {md_plain(exc)}")
        return None
    if needs_download(config.dataset):
        st.info(
            f"This run was trained on **{config.dataset}**, which is not downloaded on this "
            "computer: download it on the Data page first."
        )
        navigation.link(navigation.DATA)
        return None
    try:
        ds = registry.dataset(config.dataset)
        epoch = meta.get("epoch", checkpoint)  # "best" is keyed by the epoch it came from
        evaluation = _evaluated(record.id, epoch, config.dataset, config.loss, net, ds)
    except (DataError, ValueError) as exc:
        # Never another data set in its place: an upload's id names its content, and an id of
        # the old in-memory scheme (upload-7) or a deleted upload is refused with its reason.
        st.error(f"Cannot evaluate this run on its test data: {exc}")
        return None
    return Inspection(record, net, config, checkpoint, ds, evaluation)
