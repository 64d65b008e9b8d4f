"""Draw one run's live state: progress, controls, curves and weights. Called inside a fragment."""

from __future__ import annotations

import math
from collections.abc import Callable

import plotly.graph_objects as go
import streamlit as st

import figures
from app import form, weight_views
from app.live_chart import live_chart
from app.plain_text import md_plain
from app.state import figure_cache, get_registry
from app.store_health import disk_caption
from netlib import confusions, nets
from netlib.data.dataset import DataError
from netlib.training_data import scale_images
from runlayer.live import LiveSnapshot
from runlayer.records import RunStatus

STATUS_ICONS = {
    RunStatus.QUEUED: "⏳",
    RunStatus.LOADING: "📥",
    RunStatus.RUNNING: "🏃",
    RunStatus.PAUSED: "⏸️",
    RunStatus.FINISHED: "✅",
    RunStatus.STOPPED: "⏹️",
    RunStatus.FAILED: "❌",
    RunStatus.DIVERGED: "💥",
    RunStatus.INTERRUPTED: "⚠️",
}


# Points drawn of the batch-loss curve: more than a chart's width in pixels buys nothing, and
# every point is re-sent and re-drawn each second while the run trains.
LIVE_LOSS_POINTS = 800
WEIGHT_VIEWS = (
    "First layer (what each unit looks for)",
    "Deeper layers",
    "Histograms",
    "Feature maps",
)


def status_line(snap: LiveSnapshot) -> str:
    icon = STATUS_ICONS.get(snap.status, "")
    return f"{icon} **{md_plain(snap.name)}** — {snap.status}"


def progress_text(snap: LiveSnapshot) -> str:
    if snap.status == RunStatus.QUEUED:
        why = [f"#{snap.queue_position} in line"] if snap.queue_position else []
        if snap.sweep_cores:
            cores = "1 core" if snap.sweep_cores == 1 else f"{snap.sweep_cores} cores"
            why.append(f"a sweep holds {cores}; its next trial waits for this run")
        return "waiting for a free core" + (f" ({'; '.join(why)})" if why else "")
    if snap.status == "loading":
        total = f" of {snap.load_total / 1e6:.1f} MB" if snap.load_total else ""
        return f"loading data {snap.load_file} {snap.load_done / 1e6:.1f} MB{total}"
    parts = [f"epoch {snap.epoch}/{snap.epochs}", f"batch {snap.batch}/{snap.batches}"]
    if snap.samples_per_sec:
        parts.append(f"{snap.samples_per_sec:,.0f} samples/s")
    parts.append(f"lr {snap.lr:.3g}")
    if snap.eta_seconds is not None and snap.active:
        parts.append(f"ETA {format_seconds(snap.eta_seconds)}")
    return " · ".join(parts)


def format_seconds(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    minutes, s = divmod(seconds, 60)
    return f"{minutes}:{s:02d}" if minutes < 60 else f"{minutes // 60}h{minutes % 60:02d}"


def render_controls(snap: LiveSnapshot) -> None:
    """The controls that steer this run while it trains, boxed apart from the form (which
    configures the next run); an ended run has none."""
    if not snap.active:
        return
    reg = get_registry()
    box = st.container(border=True)
    box.caption(
        "**Steer this run** while it trains. The form on the left only configures the next "
        "run: changing it never touches this one."
    )
    c1, c2, c3, c4 = box.columns([1, 1, 2, 1], vertical_alignment="bottom")
    if snap.status == "paused":
        if c1.button("▶ Resume", key=f"resume_{snap.run_id}"):
            reg.resume(snap.run_id)
    elif c1.button("⏸ Pause", key=f"pause_{snap.run_id}"):
        reg.pause(snap.run_id)
    if c2.button("⏹ Stop", key=f"stop_{snap.run_id}"):
        reg.stop(snap.run_id)
    lr = c3.number_input(
        f"{form.LIVE_LR.label} (now {snap.lr:.3g})",
        value=float(snap.config.lr),
        format=form.LIVE_LR.format,
        key=f"lr_{snap.run_id}",
        help=f"{form.LIVE_LR.help} Applied from the next batch on.",
    )
    problem = form.LIVE_LR.problem(lr)
    if problem:
        box.error(problem)
    if c4.button("Apply rate", key=f"apply_lr_{snap.run_id}", disabled=problem is not None):
        ok = reg.set_lr(snap.run_id, lr)
        (st.toast if ok else st.warning)(f"learning rate → {lr:g}" if ok else "rate not applied")


def memo_json(name: str, version: object, build: Callable[[], go.Figure]) -> str:
    """A figure's plotly JSON, built only when its data changed and once for all tabs:
    building and encoding plotly figures costs the server process (and so the training
    thread beside it) milliseconds."""
    return figure_cache().get(name, version, lambda: build().to_json())


def show_live(name: str, version: object, build: Callable[[], go.Figure], container=None) -> None:
    """One live chart keyed by `name`: drawn once in the browser, then updated in place."""
    live_chart(memo_json(name, version, build), key=name, version=version, container=container)


def render_curves(snap: LiveSnapshot) -> None:
    m = snap.metrics
    c1, c2 = st.columns(2)
    show_live(
        f"loss_{snap.run_id}",
        (snap.step, len(m)),
        lambda: figures.loss_curve(
            snap.curve_steps,
            snap.curve_losses,
            epoch_steps=[r["step"] for r in m],
            train_epoch_loss=[r["train_loss"] for r in m],
            val_epoch_loss=[r["val_loss"] for r in m],
            max_points=LIVE_LOSS_POINTS,
        ),
        c1,
    )
    show_live(
        f"acc_{snap.run_id}",
        len(m),
        lambda: figures.accuracy_curve(
            [r["epoch"] for r in m],
            [r["train_acc"] for r in m],
            [r["val_acc"] for r in m],
            [r["test_acc"] for r in m],
        ),
        c2,
    )


def image_shape(n_inputs: int) -> tuple[int, int] | None:
    side = math.isqrt(n_inputs)
    return (side, side) if side * side == n_inputs else None


def render_weights(snap: LiveSnapshot) -> None:
    net = snap.net
    if net is None:
        st.caption("Weights appear after the first batches.")
        return
    # One view at a time, not st.tabs: tabs draw every chart, hidden ones included, and the
    # browser redraws each from scratch at every refresh.
    view = st.segmented_control(
        "Weights",
        WEIGHT_VIEWS,
        default=WEIGHT_VIEWS[0],
        key=f"weight_view_{snap.run_id}",
        label_visibility="collapsed",
    )
    if view == WEIGHT_VIEWS[1]:
        deeper = weight_views.deeper_figures(net)
        if not deeper:
            st.caption(weight_views.NO_DEEPER_LAYERS)
        for i, (_, make) in enumerate(deeper, start=2):
            show_live(f"wm{i}_{snap.run_id}", snap.net_version, make)
    elif view == WEIGHT_VIEWS[3]:
        render_feature_maps(snap)
    elif view == WEIGHT_VIEWS[2]:
        show_live(
            f"hist_{snap.run_id}",
            snap.net_version,
            lambda: weight_views.histogram_figure(net, probe_images(snap)),
        )
    else:  # the first view, also when the control is cleared
        shape = image_shape(nets.inputs_of(net))
        show_live(
            f"tiles_{snap.run_id}",
            snap.net_version,
            lambda: weight_views.first_layer_figure(net, shape),
        )


def probe_images(snap: LiveSnapshot):
    """The run's probe batch for the activation histograms (None when its data is not at hand)."""
    try:
        ds = get_registry().dataset(snap.config.dataset)
    except DataError:
        return None
    return weight_views.probe_batch(ds, snap.config.dtype)


def _pair(classes: int) -> tuple[int, int]:
    """The classes whose margin the feature maps follow: 4 against 9 on digits."""
    return (4, 9) if classes >= 10 else (0, 1)


def render_feature_maps(snap: LiveSnapshot) -> None:
    """One test sample through the live network: each layer's output and the gradient of
    logit a - logit b (or of one chosen logit) there, redrawn as the network learns. It
    starts on a sample of class a the network takes for b (decided once per run and tab)."""
    net = snap.net
    if not confusions.has_layers(net):
        st.caption("Feature maps are drawn for layer stacks (a Layers setting); the Pair lens "
                   "shows a fully connected network's hidden units.")  # fmt: skip
        return
    try:
        ds = get_registry().dataset(snap.config.dataset)
    except DataError as exc:
        st.caption(f"No test images to show: {md_plain(str(exc))}")
        return
    a, b = _pair(ds.num_classes)
    dtype, names = snap.config.dtype, [str(c) for c in ds.class_names]
    key = f"fm_sample_{snap.run_id}"
    if key not in st.session_state:
        first = ds.test_images[: confusions.CONFUSED_SEARCH]  # all it looks through
        images = scale_images(first, ds.max_value, dtype)
        st.session_state[key] = confusions.confused_sample(net, images, ds.test_labels, a, b)
    left, middle, right = st.columns([1, 1, 2])
    last = len(ds.test_labels) - 1
    index = int(left.number_input(f"Test sample (0–{last})", 0, last, key=key, step=1))
    margin = f"logit {names[a]} − logit {names[b]}"
    targets = {"margin": margin} | {str(k): f"logit {n}" for k, n in enumerate(names)}
    target = middle.selectbox("Gradient of", list(targets), format_func=targets.get,
                              key=f"fm_target_{snap.run_id}")  # fmt: skip
    top, other = (a, b) if target == "margin" else (int(target), None)
    label = names[int(ds.test_labels[index])]
    push = f"red raises the {names[a]}, blue the {names[b]}" if other is not None else (
        f"red raises logit {names[top]}")  # fmt: skip
    right.caption(
        f"Sample {index}: a {md_plain(label)}. Left: each layer's output; right: the gradient "
        f"of {md_plain(targets[target])} there ({md_plain(push)})."
    )
    x = scale_images(ds.test_images[index : index + 1], ds.max_value, dtype)[0]
    show_live(
        f"fmaps_{snap.run_id}_{index}_{target}",
        snap.net_version,
        lambda: figures.layer_maps_figure(
            confusions.layer_activity(net, x, top, other), targets[target]
        ),
    )


def render_run(snap: LiveSnapshot, curves: bool = True, weights: bool = True) -> None:
    """Status and controls; curves and weights too unless the page refreshes them separately."""
    st.markdown(status_line(snap))
    st.progress(snap.progress, text=progress_text(snap))
    if snap.status in RunStatus.WENT_WRONG:
        st.error(f"Run {snap.status}: {md_plain(snap.reason)}")
    elif snap.status == RunStatus.STOPPED:
        st.warning(f"Stopped: {snap.reason}")
    elif snap.status == RunStatus.FINISHED:
        last = snap.metrics[-1] if snap.metrics else {}
        acc = last.get("test_acc")
        st.success(f"Finished. Test accuracy {acc:.2%}" if acc is not None else "Finished.")
    if snap.metrics:  # one place that shows what the run costs on disk
        st.caption(disk_caption(get_registry().store, snap.run_id, len(snap.metrics)))
    render_controls(snap)
    if curves:
        render_curves(snap)
    if weights:
        render_weights(snap)
