"""Process-wide and per-tab state, in one place.

One run registry per server process (st.cache_resource: shared by every tab, survives reruns);
per-tab choices live in st.session_state under stable keys. Widgets that must keep their value
across page switches are created with persist_state="session" (Streamlit 1.67+).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app.figure_cache import FigureCache
from netlib.blas import blas_threads
from runlayer.embed_jobs import EmbeddingJobs
from runlayer.errors import DamagedStoreError, StoreError
from runlayer.marks import SampleMarks
from runlayer.paths import default_home
from runlayer.rebuild import set_aside_database
from runlayer.registry import RunRegistry
from runlayer.sweep_jobs import SweepJobs

# One BLAS thread per training run: runs already get one core each, and a multi-threaded BLAS
# stalls at every barrier while the browser or a page uses a core (figures: bench/README.md,
# bench_live_view.py).
TRAINING_BLAS_THREADS = 1


@st.cache_resource
def _shared_registry() -> RunRegistry:
    blas_threads(TRAINING_BLAS_THREADS)
    return RunRegistry()


def get_registry() -> RunRegistry:
    """The server's one registry. An unusable data directory (unwritable, full, damaged
    database) stops the page with the reason instead of a traceback; a rerun tries again."""
    try:
        registry = _shared_registry()
    except DamagedStoreError as exc:
        st.error(f"Cannot open the run data: {exc}")
        _offer_set_aside()
        st.stop()
        raise
    except StoreError as exc:
        st.error(f"Cannot open the run data: {exc}")
        st.stop()
        raise  # st.stop() raises; this line only reassures type checkers
    if aside := st.session_state.pop("db_set_aside", None):
        st.success(aside)
    return registry


def _offer_set_aside() -> None:
    """The damaged file is renamed (kept, never deleted), then the history is rebuilt from the
    run folders (runlayer/rebuild.py)."""
    if not st.button("Set the damaged database aside and rebuild from the run folders",
                     key="set_aside_db"):  # fmt: skip
        return
    try:
        aside = set_aside_database(default_home())
        _shared_registry.clear()
        report = _shared_registry().rebuild_history()
    except StoreError as exc:
        st.error(str(exc))
        return
    st.session_state["db_set_aside"] = (
        f"The damaged database was kept as {aside}. {report.summary()}."
    )
    st.rerun()


def owner_notice() -> None:
    """Once per page (the entry calls it in the sidebar): a second dashboard on the same data
    directory is read-only until the first stops; then it takes over (and only then marks the
    dead owner's live runs interrupted)."""
    if registry_problem() is not None:
        return  # the page shows why the run data cannot be opened
    store = _shared_registry().store
    if store.owned:
        return
    try:
        if store.claim():
            store.mark_interrupted()
            return
    except StoreError:
        pass
    st.warning(f"Read-only: {store.read_only_reason()}", icon="🔒")


@st.cache_resource
def figure_cache() -> FigureCache:
    """Live-chart figures shared by every tab (see app/figure_cache.py)."""
    return FigureCache()


def registry_problem() -> str | None:
    """Why the registry cannot open, or None: for parts (the sidebar) that must not stop."""
    try:
        _shared_registry()
    except StoreError as exc:
        return str(exc)
    return None


@st.cache_resource
def _shared_sweeps(_registry: RunRegistry) -> SweepJobs:
    return SweepJobs(_registry.store, cores=_registry.cores)


def get_sweeps() -> SweepJobs:
    """The server's sweeps, recording their trials in the registry's store."""
    return _shared_sweeps(get_registry())


@st.cache_resource
def get_embeddings() -> EmbeddingJobs:
    """The server's slow maps (t-SNE), computed off the page thread (runlayer/embed_jobs.py)."""
    return EmbeddingJobs()


@st.cache_resource
def _shared_marks(home: str) -> SampleMarks:
    return SampleMarks(Path(home))


def get_marks() -> SampleMarks:
    """The marks a person put on test samples, beside the runs (runlayer/marks.py)."""
    return _shared_marks(str(get_registry().store.home))
