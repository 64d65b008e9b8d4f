"""Live plotly charts that update in place instead of being redrawn from scratch.

`st.plotly_chart` keys a chart on a hash of its data, so every refresh of a training curve
makes the browser discard the chart and build a new one; on a 2-core machine that work is taken
from the training thread. This component keeps one chart per key and hands each new figure to
`Plotly.react` (see live_chart.js). plotly.js itself is served from the plotly Python package
(the same version the figures are built with), through a static-file component route.
"""

from __future__ import annotations

from pathlib import Path

import plotly
import streamlit as st
import streamlit.components.v1 as components_v1

PLOTLY_JS_DIR = Path(plotly.__file__).parent / "package_data"
PLOTLY_JS_FILE = "plotly.min.js"
_JS = Path(__file__).with_name("live_chart.js").read_text(encoding="utf-8")
COMPONENT_NAME = "digit_net_live_chart"
# Not style-isolated: plotly.js puts its CSS (hover labels, mode bar) in the document head.
_CHART = st.components.v2.component(COMPONENT_NAME, js=_JS, isolate_styles=False)


def plotly_js_url() -> str:
    """Where the browser loads plotly.js from: a v1 component declared on plotly's package
    folder, whose files Streamlit serves (cached) at /component/<name>/<file>."""
    served = components_v1.declare_component("plotlyjs", path=str(PLOTLY_JS_DIR))
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    prefix = f"/{base}" if base else ""
    return f"{prefix}/component/{served.name}/{PLOTLY_JS_FILE}"


def live_chart(figure_json: str, *, key: str, version: object = "", container=None) -> None:
    """Draw a figure (plotly JSON, `fig.to_json()`) under a stable `key`: one chart in the
    browser for the key's lifetime, updated in place when the JSON changes."""
    data = {"figure": figure_json, "version": str(version), "plotlyUrl": plotly_js_url()}
    if container is None:
        _CHART(data=data, key=key)
    else:
        with container:
            _CHART(data=data, key=key)
