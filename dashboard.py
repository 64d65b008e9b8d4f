"""Entry point: declares the pages and the shared sidebar, nothing else."""

import streamlit as st

from app.entry import forward_wanted_page, mark_entry
from app.sidebar import active_runs_sidebar
from app.state import owner_notice

st.set_page_config(page_title="digit-net", page_icon="🔢", layout="wide")

pages = [
    st.Page("pages/train.py", title="Train", icon="🏋️", default=True),
    st.Page("pages/data.py", title="Data", icon="🖼️"),
    st.Page("pages/inspect.py", title="Inspect", icon="🔍"),
    st.Page("pages/pair_lens.py", title="Pair lens", icon="🔬"),
    st.Page("pages/run_diff.py", title="Run vs run", icon="⚖️"),
    st.Page("pages/draw.py", title="Draw a digit", icon="✏️"),
    st.Page("pages/compare.py", title="Compare runs", icon="📊"),
]
page = st.navigation(pages)
mark_entry()
forward_wanted_page()
with st.sidebar:
    owner_notice()
    active_runs_sidebar()
page.run()
