"""Draw a digit under AppTest: the page without a drawing, and what follows the canvas.

The canvas component sends nothing under AppTest, so the part after it,
draw_view.show_prediction(rgba, model), runs here in a small script with synthetic strokes.
The `home`, `app` and `empty_app` fixtures (conftest.py) train and open the RUNS below.
"""

import numpy as np
import pytest
from apptest_helpers import TINY, array, chart, goto
from streamlit.testing.v1 import AppTest

from app import navigation, run_picker
from netlib import confusions, drawing
from netlib.config import NetConfig
from netlib.training_data import scale_images
from runlayer.store import RunStore

RUNS = {
    "mnist": TINY,
    "digits": NetConfig(dataset="digits-8x8", hidden=(16, 8), activation="relu", epochs=2, lr=0.5),
    "linear": TINY.replace(hidden=(), seed=6),
    "cnn": TINY.replace(layers="conv4k5 pool2 dense16", seed=7),
}


def seven() -> np.ndarray:
    """A 7 drawn on a transparent 280×280 canvas in black, as the canvas sends it."""
    rgba = np.zeros((280, 280, 4), np.uint8)
    rgba[50:70, 60:220] = (0, 0, 0, 255)  # the top bar
    for r in range(70, 240):  # the slanted stem
        c = int(220 - (r - 70) * 0.6)
        rgba[r, c - 10 : c + 10] = (0, 0, 0, 255)
    return rgba


def prediction_script(home: str, run_id: str, rgba) -> None:
    """Runs as its own Streamlit script (AppTest.from_function): the page after the canvas."""
    from app import draw_view
    from runlayer.store import RunStore

    store = RunStore(home)
    model = draw_view.load_model(store, store.get_run(run_id), "last")
    draw_view.show_prediction(rgba, model)


def predict(home, run_id: str, rgba) -> AppTest:
    at = AppTest.from_function(prediction_script, args=(str(home), run_id, rgba))
    at.run(timeout=30)
    assert not at.exception, at.exception
    return at


def test_without_a_run_the_page_says_what_to_do(empty_app):
    goto(empty_app, navigation.DRAW.script)
    assert [t.value for t in empty_app.title] == ["Draw a digit"]
    assert any("No trained run yet" in i.value for i in empty_app.info)


def test_the_page_with_an_empty_canvas_asks_for_a_drawing(app, home):
    goto(app, navigation.DRAW.script)
    for name in ("mnist", "digits"):
        app.selectbox(key=run_picker.RUN_KEY).set_value(home[1][name]).run()
        assert not app.exception, app.exception
        assert not app.error
        assert any("Draw a digit on the canvas" in i.value for i in app.info)


@pytest.mark.parametrize(
    ("name", "shape", "top"), [("mnist", (28, 28), 255), ("digits", (8, 8), 16)]
)
def test_a_drawing_gets_the_networks_probabilities_image_and_activations(home, name, shape, top):
    run_id = home[1][name]
    at = predict(home[0], run_id, seven())
    image = drawing.drawing_to_image(drawing.ink_from_rgba(seven()), shape, top)
    assert image.max() == top
    net, config, _ = RunStore(home[0]).load_weights(run_id, "last")
    x = scale_images(image[None], top, config.dtype)[0]
    proba, acts = confusions.explain_input(net, x, config.loss)

    bars = chart(at, "draw_proba")["data"][0]
    np.testing.assert_allclose(array(bars["y"]), proba, rtol=1e-5)
    seen = array(chart(at, "draw_seen")["data"][0]["z"]).astype(float)
    np.testing.assert_array_equal(seen, image)
    panels = chart(at, "draw_acts")["data"]
    assert [len(array(p["y"])) for p in panels] == [len(a) for a in acts]
    np.testing.assert_allclose(array(panels[0]["y"]), acts[0], rtol=1e-5, atol=1e-6)


def test_an_empty_or_odd_canvas_is_a_message_not_an_error(home):
    blank = np.zeros((280, 280, 4), np.uint8)
    for rgba, words in ((None, "Draw a digit"), (blank, "Draw a digit")):
        at = predict(home[0], home[1]["mnist"], rgba)
        assert any(words in i.value for i in at.info) and not at.error
    at = predict(home[0], home[1]["mnist"], np.zeros((5, 5)))
    assert "cannot read" in at.error[0].value


def test_a_network_without_hidden_layer_says_so(home):
    at = predict(home[0], home[1]["linear"], seven())
    assert not [c for c in at.get("plotly_chart") if c.key == "draw_acts"]
    assert any("no hidden layer" in c.value for c in at.caption)


def test_a_convolutional_network_shows_the_drawing_through_every_layer(home):
    run_id = home[1]["cnn"]
    at = predict(home[0], run_id, seven())
    net, config, _ = RunStore(home[0]).load_weights(run_id, "last")
    image = drawing.drawing_to_image(drawing.ink_from_rgba(seven()), (28, 28), 255)
    x = scale_images(image[None], 255, config.dtype)[0]
    proba, _ = confusions.explain_input(net, x, config.loss)
    first, second = np.argsort(proba)[::-1][:2]
    maps = chart(at, "draw_maps")
    rows = confusions.layer_activity(net, x, int(first), int(second))
    assert len(maps["data"]) == 2 * len(rows)
    titles = [a["text"] for a in maps["layout"]["annotations"]]
    assert titles[0] == rows[0][0] and titles[1] == f"∂(logit {first} − logit {second})"
    np.testing.assert_allclose(array(maps["data"][0]["z"])[:24, :24], rows[0][1][0], rtol=1e-5)
    mlp = predict(home[0], home[1]["mnist"], seven())
    assert not [c for c in mlp.get("plotly_chart") if c.key == "draw_maps"]
