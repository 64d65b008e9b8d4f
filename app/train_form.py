"""The Train page's controls: every engine option, filled by presets and by the URL."""

from __future__ import annotations

import functools

import streamlit as st

from app import form
from app.plain_text import md_plain
from app.state import get_registry
from netlib import memory
from netlib.config import ConfigError, NetConfig
from netlib.data.dataset import DataError
from netlib.data.registry import DATASETS
from netlib.prepare import split_indices
from netlib.presets import PRESETS

KEEP = "session"  # widget values survive page switches and conditional hiding
PRESET_LABELS = {form.CUSTOM: "Custom"} | {pid: p.label for pid, p in PRESETS.items()}


def init_form() -> None:
    """First visit in this tab: fill the controls from the URL (or defaults), once."""
    if st.session_state.get("form_ready"):
        return
    config, preset, problems = form.from_query(dict(st.query_params))
    values, changes = form.clamp_to_ranges(form.form_values(config, preset))
    for key, value in values.items():
        st.session_state.setdefault(key, value)
    st.session_state["form_problems"] = problems
    st.session_state["form_changes"] = changes
    st.session_state["form_ready"] = True


def apply_preset() -> None:
    """on_change of the preset box: copy the preset into every control."""
    preset = st.session_state[form.PRESET_KEY]
    if preset != form.CUSTOM:
        for key, value in form.form_values(PRESETS[preset].config, preset).items():
            st.session_state[key] = value


def dataset_choices(extra: dict[str, str]) -> dict[str, str]:
    """Built-in data sets plus this server's uploads, id -> label."""
    return {d.id: d.label for d in DATASETS.values()} | extra


def render_form(uploads: dict[str, str]) -> NetConfig | None:
    """Draw the controls; return the config they describe, or None after showing why not."""
    init_form()
    for problem in st.session_state.pop("form_problems", []):
        st.warning(f"Ignored from the link: {md_plain(problem)}")
    for change in st.session_state.pop("form_changes", []):
        st.warning(f"Changed from the link: {md_plain(change)}")
    s = st.session_state
    choices = dataset_choices(uploads)
    if s.get("f_dataset") not in choices:
        s["f_dataset"] = "mnist-sample"
    st.selectbox(
        "Preset",
        list(PRESET_LABELS),
        key=form.PRESET_KEY,
        persist_state=KEEP,
        on_change=apply_preset,
        format_func=PRESET_LABELS.get,
    )
    st.selectbox(
        "Data set", list(choices), key="f_dataset", persist_state=KEEP, format_func=choices.get
    )
    if s[form.PRESET_KEY] != form.CUSTOM:
        records = get_registry().store.list_runs()
        dataset = s["f_dataset"]
        st.caption(form.preset_claim(s[form.PRESET_KEY]))
        st.caption(form.preset_measured(s[form.PRESET_KEY], dataset, choices[dataset], records))
    st.text_input(
        "Hidden layers (widths, comma-separated; empty = none)",
        key=form.HIDDEN_KEY,
        persist_state=KEEP,
    )
    estimate = st.empty()  # the memory estimate, filled once the whole config is known
    c1, c2 = st.columns(2)
    c1.selectbox("Activation", form.CHOICES["activation"], key="f_activation", persist_state=KEEP)
    c2.selectbox(
        "Loss",
        form.CHOICES["loss"],
        key="f_loss",
        persist_state=KEEP,
        format_func=form.LOSS_LABELS.get,
    )
    c1.selectbox("Optimizer", form.CHOICES["optimizer"], key="f_optimizer", persist_state=KEEP)
    c2.selectbox("Init", form.CHOICES["init"], key="f_init", persist_state=KEEP)
    shown: list[str] = []  # the number boxes on the page: only those must be in range
    number = functools.partial(number_box, shown=shown)
    if s["f_optimizer"] == "momentum":
        number(c1, "f_momentum")
        c2.checkbox("Nesterov", key="f_nesterov", persist_state=KEEP)
    if s["f_init"] == "normal":
        number(st, "f_init_scale")
    lr_options = sorted(set(form.LR_CHOICES) | {float(s["f_lr"])})
    st.select_slider(
        "Learning rate (log scale)",
        lr_options,
        key="f_lr",
        persist_state=KEEP,
        format_func="{:g}".format,
    )
    c1, c2 = st.columns(2)
    c1.selectbox("Schedule", form.CHOICES["schedule"], key="f_schedule", persist_state=KEEP)
    if s["f_schedule"] == "step":
        number(c2, "f_step_every")
        number(c2, "f_step_gamma")
    batch_options = list(dict.fromkeys([*form.BATCH_CHOICES, s[form.BATCH_KEY]]))
    c1.selectbox("Batch size", batch_options, key=form.BATCH_KEY, persist_state=KEEP)
    number(c2, "f_epochs")
    number(c1, "f_l2")
    number(c2, "f_dropout")
    number(c1, "f_val_fraction")
    number(c2, "f_seed")
    c1.selectbox("dtype", form.CHOICES["dtype"], key="f_dtype", persist_state=KEEP)
    number(c2, "f_augment_shift")
    values = {k: s[k] for k in form.FORM_KEYS if k in s}
    hidden = [k for k in form.NUMBER_BOXES if k in values and k not in shown]
    for key in hidden:  # a box switched off with a bad value in it: the default applies
        if form.range_problems(values, [key]):
            del values[key]
    problems = form.range_problems(values, shown)
    if problems:
        st.error("Cannot train until these are in range:\n" + "\n".join(f"- {p}" for p in problems))
        return None
    try:
        config = form.config_from_form(values)
    except ConfigError as exc:
        st.error(f"Cannot train with these settings: {exc}")
        return None
    if not memory_fits(config, estimate):
        return None
    note = form.batch_note(config.batch_size, training_images(config))
    if note:
        st.info(note)
    query = form.to_query(config, s[form.PRESET_KEY])
    if dict(st.query_params) != query:
        st.query_params.from_dict(query)
    return config


def number_box(container, key: str, shown: list[str]) -> None:
    """A number box from its declaration (app/form.py NUMBER_BOXES), its range in the help."""
    box = form.NUMBER_BOXES[key]
    container.number_input(box.label, step=box.widget_step, format=box.format, key=key,
                           persist_state=KEEP, help=f"{box.allowed.capitalize()}.")  # fmt: skip
    shown.append(key)


def training_images(config: NetConfig) -> int | None:
    """How many images a run of config trains on, when its data is at hand (never downloads)."""
    info = DATASETS.get(config.dataset)
    if info is not None and info.needs_download:
        return None
    try:
        ds = get_registry().dataset(config.dataset)  # bundled or uploaded: loaded once
    except DataError:
        return None
    return len(split_indices(len(ds.train_labels), config.val_fraction, config.seed)[0])


def memory_fits(config: NetConfig, slot) -> bool:
    """Show the run's memory estimate in slot (beside the architecture); refuse (Start
    disabled) when it is over the budget."""
    shape = get_registry().data_shape(config.dataset)
    if shape is None:
        return True  # the run itself reports what is wrong with its data
    try:
        budget = memory.memory_budget(get_registry().max_parallel)
    except ConfigError as exc:
        slot.error(f"Cannot train: {exc}")
        return False
    est = memory.estimate(config, shape)
    reason = memory.over_budget(est, budget, config)
    if reason:
        slot.error(f"Cannot train with these settings: {reason}")
        return False
    slot.caption(
        f"{shape.inputs}-{config.architecture}-{shape.classes} · memory {est.summary()}, "
        f"of {memory.format_bytes(budget)} a run may use"
    )
    return True
