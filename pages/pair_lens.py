"""Pair lens: why does the network take one class for another (4 for 9), and since when?"""

import streamlit as st

from app import lens_view, run_picker
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

record, checkpoint = run_picker.choose_checkpoint(
    registry.store, "here to see which digits it confuses, and why"
)
inspection = run_picker.load(registry, record, checkpoint)
if inspection is None:
    st.stop()

a, b = lens_view.choose_pair(inspection)
study = lens_view.study(inspection, a, b)
lens_view.summary(inspection, study)

st.subheader("What the two classes look like on average")
lens_view.means(inspection, study)

st.subheader("Where every test sample falls between them")
lens_view.margins(inspection, study)

st.subheader("Samples confused each way")
lens_view.confused(inspection, study)
lens_view.closer(inspection, study)

st.subheader("Hidden units that separate them most")
lens_view.units(inspection, study)

st.subheader("Confusion timeline")
lens_view.timeline(registry.store, inspection, a, b)
