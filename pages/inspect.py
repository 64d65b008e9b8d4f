"""Inspect: one run at one saved epoch — what it predicts, what it confuses, what it learned."""

import streamlit as st

from app import inspect_view as view
from app import run_picker
from app.entry import require_entry
from app.state import get_registry

require_entry(__file__)

st.title("Inspect a run")
registry = get_registry()

record = run_picker.choose_run(registry.store)
checkpoint = run_picker.choose_epoch(registry.store, record) if record is not None else None
inspection = run_picker.load(registry, record, checkpoint) if checkpoint is not None else None
if inspection is None:
    st.stop()

c1, c2, c3, c4 = st.columns(4)
c1.metric("Test accuracy", f"{inspection.evaluation.accuracy:.2%}")
c2.metric(
    "Test errors",
    f"{int((~inspection.evaluation.correct).sum()):,} of {len(inspection.evaluation.labels):,}",
)
c3.metric("Network", inspection.config.architecture)
c4.metric("Data set", inspection.config.dataset)

st.subheader("Predictions on random test samples")
view.predictions(inspection)

st.subheader("Confusion matrix on the test set")
view.confusion(inspection)

st.subheader("Samples behind the clicked cell")
view.cell_samples(inspection)

st.subheader("Misclassified test samples")
view.gallery(inspection)

st.subheader(f"Weights at {'the best epoch' if checkpoint == 'best' else f'epoch {checkpoint}'}")
view.weights(inspection)
