"""The dashboard's pages, declared once: the entry builds its navigation from them, and every
link or switch between pages names one of these instead of a path string."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st


@dataclass(frozen=True)
class PageSpec:
    script: str  # relative to dashboard.py: what st.Page, st.switch_page and AppTest take
    title: str
    icon: str
    default: bool = False

    def page(self) -> st.Page:
        return st.Page(self.script, title=self.title, icon=self.icon, default=self.default)


TRAIN = PageSpec("pages/train.py", "Train", "🏋️", default=True)
DATA = PageSpec("pages/data.py", "Data", "🖼️")
INSPECT = PageSpec("pages/inspect.py", "Inspect", "🔍")
PAIR_LENS = PageSpec("pages/pair_lens.py", "Pair lens", "🔬")
SAMPLES = PageSpec("pages/samples.py", "Samples", "🧬")
RUN_DIFF = PageSpec("pages/run_diff.py", "Run vs run", "⚖️")
DRAW = PageSpec("pages/draw.py", "Draw a digit", "✏️")
COMPARE = PageSpec("pages/compare.py", "Compare runs", "📊")
SWEEP = PageSpec("pages/sweep.py", "Sweep", "🧪")
ALL = (TRAIN, DATA, INSPECT, PAIR_LENS, SAMPLES, RUN_DIFF, DRAW, COMPARE, SWEEP)


def go(spec: PageSpec) -> None:
    """Switch this tab to another page (ends the current run of the script)."""
    st.switch_page(spec.script)


def link(spec: PageSpec) -> None:
    """A link a person clicks to get to another page."""
    st.page_link(spec.script, label=f"Go to the {spec.title} page", icon=spec.icon)
