"""Streamlit glue shared by the pages: state, the form model, live views. Pages stay thin."""
