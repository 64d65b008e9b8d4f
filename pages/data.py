"""Data: what the network will see before training — samples, class balance, mean images."""

import streamlit as st

from app.data_view import (
    choose_dataset,
    load_or_offer_download,
    preview,
    upload_panel,
    uploads_panel,
)
from app.entry import require_entry
from app.state import get_registry

require_entry(__file__)

st.title("Look at the data")
registry = get_registry()

with st.expander("Upload a data set (CSV, .npz or IDX pair)"):
    upload_panel(registry)
with st.expander("Uploaded data sets on this computer"):
    uploads_panel(registry)

dataset_id = choose_dataset(registry)
ds = load_or_offer_download(registry, dataset_id)
if ds is not None:
    preview(dataset_id, ds)
