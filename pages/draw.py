"""Draw a digit: what does a trained network say about your own handwriting?"""

import streamlit as st

from app import draw_view, run_picker
from app.entry import require_entry
from app.state import get_registry

require_entry(__file__)

st.title("Draw a digit")
st.caption(
    "Your drawing is prepared the way MNIST digits were (fitted in a 20×20 box, centred by "
    "its centre of mass in 28×28; for an 8×8-digits run, shrunk to 8×8 with values 0–16), "
    "then shown to the network of the run you pick."
)
registry = get_registry()

record, checkpoint = run_picker.choose_checkpoint(registry.store, "and draw")
model = draw_view.load_model(registry.store, record, checkpoint)
if model is None:
    st.stop()

left, right = st.columns([1, 2], gap="large")
with left:
    # Imported here only: the component cannot be imported outside a running page.
    from streamlit_drawable_canvas import st_canvas

    st.session_state.setdefault("keep_draw_pen", 18)
    pen = st.slider("Pen width", 6, 40, key="keep_draw_pen", persist_state="session")
    canvas = st_canvas(
        stroke_width=pen,
        stroke_color="#000000",
        background_color="#ffffff",
        height=draw_view.CANVAS_SIZE,
        width=draw_view.CANVAS_SIZE,
        drawing_mode="freedraw",
        return_image_data=True,
        key="draw_canvas",
    )
    st.caption("Use the canvas's bin icon to start again.")
with right:
    draw_view.show_prediction(canvas.image_data if canvas is not None else None, model)
