"""app.live_chart: a chart keeps its identity while its data changes, so the browser updates it
in place (Plotly.react) instead of discarding and redrawing it. The browser side is checked in
tests/test_browser_e2e.py (the Loss chart's element survives every refresh of a training run)."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from app import live_chart


def chart_script(points: int, use_component: bool) -> None:
    """A page with one chart of `points` points: the live component or st.plotly_chart."""
    import plotly.graph_objects as go
    import streamlit as st

    from app.live_chart import live_chart

    fig = go.Figure(go.Scatter(x=list(range(points)), y=[p * p for p in range(points)]))
    fig.update_layout(title="Loss")
    if use_component:
        live_chart(fig.to_json(), key="loss", version=points)
    else:
        st.plotly_chart(fig, key="loss")


def _element(at: AppTest, use_component: bool):
    (el,) = at.get("bidi_component" if use_component else "plotly_chart")
    return el


def test_the_live_chart_keeps_its_identity_while_its_figure_changes():
    at = AppTest.from_function(chart_script, args=(3, True)).run()
    first = _element(at, True)
    at.args = (5, True)
    second = _element(at.run(), True)
    assert not at.exception
    assert second.proto.id == first.proto.id  # same element: the browser keeps its chart
    payload = json.loads(second.proto.json)
    figure = json.loads(payload["figure"])
    assert figure["data"][0]["x"] == [0, 1, 2, 3, 4] and payload["version"] == "5"
    assert figure["layout"]["title"]["text"] == "Loss"


def test_why_st_plotly_chart_is_not_used_for_live_charts():
    """Streamlit 1.67 derives a plotly chart's identity from its figure even when it has a
    key: new data, new element, and the browser draws the chart from scratch. If this starts
    failing, Streamlit keeps keyed charts now and app/live_chart.py may no longer be needed."""
    at = AppTest.from_function(chart_script, args=(3, False)).run()
    first = _element(at, False)
    at.args = (5, False)
    assert _element(at.run(), False).proto.id != first.proto.id


def test_the_chart_loads_the_plotly_js_of_the_installed_plotly_package():
    at = AppTest.from_function(chart_script, args=(3, True)).run()
    url = json.loads(_element(at, True).proto.json)["plotlyUrl"]
    assert url.startswith("/component/") and url.endswith("/" + live_chart.PLOTLY_JS_FILE)
    served = live_chart.PLOTLY_JS_DIR / live_chart.PLOTLY_JS_FILE
    assert served.stat().st_size > 1_000_000  # the full plotly.js bundle, not a stub
