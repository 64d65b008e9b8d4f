"""Inspect: one run at one saved epoch — what it predicts, what it confuses, what it learned."""

import streamlit as st

from app import inspect_view as view
from app.entry import require_entry
from app.state import get_registry

require_entry(__file__)

st.title("Inspect a run")
registry = get_registry()

record = view.choose_run(registry.store)
which = view.choose_epoch(registry.store, record) if record is not None else None
insp = view.load(registry, record, which) if which is not None else None
if insp is None:
    st.stop()

c1, c2, c3, c4 = st.columns(4)
c1.metric("Test accuracy", f"{insp.ev.accuracy:.2%}")
c2.metric("Test errors", f"{int((~insp.ev.correct).sum()):,} of {len(insp.ev.labels):,}")
c3.metric("Network", insp.config.architecture)
c4.metric("Data set", insp.config.dataset)

st.subheader("Predictions on random test samples")
view.predictions(insp)

st.subheader("Confusion matrix on the test set")
view.confusion(insp)

st.subheader("Samples behind the clicked cell")
view.cell_samples(insp)

st.subheader("Misclassified test samples")
view.gallery(insp)

st.subheader(f"Weights at {'the best epoch' if which == 'best' else f'epoch {which}'}")
view.weights(insp)
