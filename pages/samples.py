"""Samples: how the network's view of each digit forms (histories, agreement, map, morph,
attributions, lists)."""

import streamlit as st

from app import attribution_view, history_view, lens_view, map_view, run_picker
from app.entry import require_entry
from app.state import get_registry

require_entry(__file__)

VIEWS = {
    "histories": "Sample histories",
    "agreement": "Agreement across runs",
    "map": "Embedding map",
    "morph": "Morph",
    "attributions": "Attributions",
    "lists": "Lists",
}

st.title("Samples")
st.caption(
    "Single test samples over training: when each was learned and which keep flipping, which "
    "ones every run gets wrong, where they sit as a layer sees them, what the classifier says "
    "on the way from one digit to another, and which pixels made it decide."
)
registry = get_registry()
record, checkpoint = run_picker.choose_checkpoint(
    registry.store, "here to see how it learned each sample"
)
inspection = run_picker.load(registry, record, checkpoint)
if inspection is None:
    st.stop()
a, b = lens_view.choose_pair(inspection)
st.session_state.setdefault("samples_view", "histories")
view = st.segmented_control(
    "View", list(VIEWS), format_func=VIEWS.get, key="samples_view", required=True,
    label_visibility="collapsed", persist_state="session",
)  # fmt: skip
if view == "histories":
    history_view.histories_view(registry.store, inspection, a, b)
elif view == "agreement":
    history_view.agreement_view(registry.store, inspection)
elif view == "map":
    map_view.map_view(registry.store, inspection, a, b)
elif view == "morph":
    map_view.morph_view(inspection, a, b)
elif view == "attributions":
    attribution_view.attribution_view(inspection, a, b)
elif view == "lists":
    attribution_view.lists_view(inspection, a)
else:
    st.info("Pick a view above.")
