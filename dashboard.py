"""Entry point: declares the pages and the shared sidebar, nothing else."""

import streamlit as st

from app.sidebar import active_runs_sidebar
from app.state import keep_widget_values

st.set_page_config(page_title="digit-net", page_icon="🔢", layout="wide")
keep_widget_values()

pages = [
    st.Page("pages/train.py", title="Train", icon="🏋️", default=True),
    st.Page("pages/compare.py", title="Compare runs", icon="📊"),
]
page = st.navigation(pages)
with st.sidebar:
    active_runs_sidebar()
page.run()
