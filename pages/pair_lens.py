"""Pair lens: why does the network take one class for another (4 for 9), and since when?"""

import streamlit as st

from app import inspect_view, lens_view, navigation
from app.entry import require_entry
from app.state import get_registry

require_entry(__file__)

st.title("Pair lens")
st.caption(
    "Two classes side by side: how they differ on average, where every test sample falls "
    "between them, the samples confused each way and what the network looked at, and the "
    "hidden units that tell them apart. Opens on the cell last clicked on the Inspect page."
)
registry = get_registry()

if not inspect_view.pickable_runs(registry.store.list_runs()):
    st.info(
        "No trained run yet. Train one on the Train page, then come back here to see which "
        "digits it confuses, and why."
    )
    navigation.link(navigation.TRAIN)
    st.stop()

record = inspect_view.choose_run(registry.store)
which = inspect_view.choose_epoch(registry.store, record) if record is not None else None
insp = inspect_view.load(registry, record, which) if which is not None else None
if insp is None:
    st.stop()

a, b = lens_view.choose_pair(insp)
study = lens_view.study(insp, a, b)
lens_view.summary(insp, study)

st.subheader("What the two classes look like on average")
lens_view.means(insp, study)

st.subheader("Where every test sample falls between them")
lens_view.margins(insp, study)

st.subheader("Samples confused each way")
lens_view.confused(insp, study)
lens_view.closer(insp, study)

st.subheader("Hidden units that separate them most")
lens_view.units(insp, study)

st.subheader("Confusion timeline")
lens_view.timeline(registry.store, insp, a, b)
