"""Run vs run: which mistakes did run B fix, and which did it introduce, compared with run A?"""

import streamlit as st

from app import diff_view
from app.entry import require_entry
from app.state import get_registry

require_entry(__file__)

st.title("Run vs run")
st.caption(
    "Two runs on the same test set, sample by sample: the mistakes of run A that run B fixed, "
    "and the new ones B made. Did the wider network really learn the 4/9 boundary, or just "
    "trade mistakes?"
)
registry = get_registry()

chosen = diff_view.choose_runs(registry.store)
pair = diff_view.evaluate(registry, *chosen) if chosen is not None else None
if pair is None:
    st.stop()
run_a, run_b = pair

st.subheader("Mistakes fixed and introduced by run B")
diff_view.matrix(run_a, run_b)

st.subheader("The samples behind the clicked cell")
diff_view.cell_samples(run_a, run_b)
