"""What one browser tab carries from page to page: each choice has one owner, this module.

Widget values that only one page reads stay keyed on that page; these are the ones another
page reads or writes (the run a tab follows, the class pair the Pair lens and Run-vs-run open
on, the data set chosen on the Train form).
"""

from __future__ import annotations

import streamlit as st

from app import form

WATCHED_RUN_KEY = "keep_run_id"
PAIR_KEY = "keep_pair"
FORM_DATASET = form.KEYS["dataset"]  # the Train form's data-set box
DEFAULT_DATASET = "mnist-sample"


def watched_run() -> str | None:
    """The run this tab follows (the last it started or picked), if any."""
    return st.session_state.get(WATCHED_RUN_KEY)


def watch(run_id: str | None) -> None:
    st.session_state[WATCHED_RUN_KEY] = run_id


def pair() -> tuple[int, int] | None:
    """The (true, predicted) class pair last chosen, by a click on Inspect or on the lens."""
    return st.session_state.get(PAIR_KEY)


def set_pair(cell: tuple[int, int]) -> None:
    st.session_state[PAIR_KEY] = tuple(cell)


def form_dataset() -> str:
    """The data set chosen on the Train form (the Data page opens on it)."""
    return st.session_state.get(FORM_DATASET, DEFAULT_DATASET)


def choose_dataset_on_form(dataset_id: str) -> None:
    """Point the Train form at a data set (after an upload)."""
    st.session_state[FORM_DATASET] = dataset_id
