"""Entry point: declares the pages and the shared sidebar, nothing else."""

import streamlit as st

from app import navigation
from app.entry import forward_wanted_page, mark_entry
from app.sidebar import active_runs_sidebar
from app.state import owner_notice

st.set_page_config(page_title="digit-net", page_icon="🔢", layout="wide")

page = st.navigation([spec.page() for spec in navigation.ALL])
mark_entry()
forward_wanted_page()
with st.sidebar:
    owner_notice()
    active_runs_sidebar()
page.run()
