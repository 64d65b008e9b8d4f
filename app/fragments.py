"""Polling fragments laid out so that Streamlit's frontend can redraw them beside each other.

Streamlit addresses each element by its index in its parent block. A fragment called directly
in a column writes its elements at indexes that follow its siblings' (a second fragment in the
column starts at 1, 2, ...). Under load, the frontend's clean-up of one run can land after the
next run began (streamlit/streamlit#16708) and drop a sibling's elements: the next delta then
points past the end of the column and the tab dies with "Bad delta path index 1 (should be
between [0, 0])" (seen in the eight-tab load test, tests/test_reliability_load.py).

`live_fragment` gives each fragment a box of its own, laid out by the full run, and draws the
fragment's whole output as the one child of that box: every delta a fragment run sends starts
at index 0 of a block that only it writes, whatever happened to its siblings.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import streamlit as st


def live_fragment(run_every: float | None) -> Callable[[Callable[[], None]], Callable[[], None]]:
    """Like `st.fragment(run_every=...)`, with the fragment in a box that only it writes."""

    def wrap(body: Callable[[], None]) -> Callable[[], None]:
        @st.fragment(run_every=run_every)
        @functools.wraps(body)  # the fragment's id is made from its name and its place
        def fragment() -> None:
            with st.container():  # the fragment's single child: its deltas start at 0
                body()

        @functools.wraps(body)
        def call() -> None:
            with st.container():  # laid out by the full run; fragment runs write inside
                fragment()

        return call

    return wrap
