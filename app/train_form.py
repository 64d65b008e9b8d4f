"""The Train page's controls: every engine option, filled by presets and by the URL."""

from __future__ import annotations

import streamlit as st

from app import form, layer_builder
from app.plain_text import md_plain
from app.state import get_registry
from netlib import memory
from netlib.architecture import summary
from netlib.config import SPECS, ConfigError, NetConfig
from netlib.data.catalog import DATASETS
from netlib.data.dataset import DataError
from netlib.presets import PRESETS
from netlib.training_data import split_indices

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


def load_config(config: NetConfig) -> None:
    """Fill the Train form with config (the Sweep page opens its best point this way)."""
    st.session_state["form_ready"] = True
    for key, value in form.form_values(config).items():
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
    data_key = form.KEYS["dataset"]
    if s.get(data_key) not in choices:
        s[data_key] = NetConfig().dataset
    st.selectbox("Preset", list(PRESET_LABELS), key=form.PRESET_KEY, persist_state=KEEP,
                 on_change=apply_preset, format_func=PRESET_LABELS.get,
                 help=form.PRESET_HELP)  # fmt: skip
    st.selectbox(SPECS["dataset"].label, list(choices), key=data_key, persist_state=KEEP,
                 format_func=choices.get, help=form.help_text("dataset"))  # fmt: skip
    if s[form.PRESET_KEY] != form.CUSTOM:
        records = get_registry().store.list_runs()
        dataset = s[data_key]
        st.caption(form.preset_claim(s[form.PRESET_KEY]))
        st.caption(form.preset_measured(s[form.PRESET_KEY], dataset, choices[dataset], records))
    setting_widget(st, "hidden")
    setting_widget(st, "layers")
    estimate = st.empty()  # the memory estimate, filled once the whole config is known
    layer_builder.render_builder()
    overview = st.container()  # the per-layer table and diagram, under the builder
    shown = draw_rows()
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
    if not memory_fits(config, estimate, overview):
        return None
    note = form.batch_note(config.batch_size, training_images(config))
    if note:
        st.info(note)
    query = form.to_query(config, s[form.PRESET_KEY])
    if dict(st.query_params) != query:
        st.query_params.from_dict(query)
    return config


def draw_rows() -> list[str]:
    """The settings of form.LAYOUT, row by row; returns the keys of the number boxes drawn
    (only those must be in range)."""
    shown: list[str] = []
    columns = None
    for row in form.LAYOUT:
        if len(row) == 1:
            places, columns = [st], None  # spans the width; the next pair starts new columns
        else:
            places = columns = columns or st.columns(2)
        for place, name in zip(places, row, strict=True):
            if name is not None and form.shown(name, st.session_state):
                setting_widget(place, name)
                if form.WIDGETS[name] == "number":
                    shown.append(form.KEYS[name])
    return shown


def setting_widget(place, name: str) -> None:
    """A setting's widget, labelled and explained by its spec (netlib/config.py)."""
    key, label, kind = form.KEYS[name], SPECS[name].label, form.WIDGETS[name]
    common = {"key": key, "persist_state": KEEP, "help": form.help_text(name)}
    if kind == "select":
        place.selectbox(label, form.CHOICES[name], format_func=form.CHOICE_LABELS[name].get,
                        **common)  # fmt: skip
    elif kind == "checkbox":
        place.checkbox(label, **common)
    elif kind == "text":
        place.text_input(label, **common)
    elif kind == "log_slider":  # 1, 2, 5 per decade, plus a value a link brought
        options = sorted(set(form.LR_CHOICES) | {float(st.session_state[key])})
        place.select_slider(label, options, format_func="{:g}".format, **common)
    elif kind == "batch":
        options = list(dict.fromkeys([*form.BATCH_CHOICES, st.session_state[key]]))
        place.selectbox(label, options, **common)
    else:  # no browser-side bounds: the server checks the range and says what is allowed
        box = form.NUMBER_BOXES[key]
        place.number_input(box.label, step=box.widget_step, format=box.format, **common)


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


def memory_fits(config: NetConfig, slot, overview=None) -> bool:
    """Show the run's memory estimate in slot (beside the architecture) and the per-layer
    overview under it; refuse (Start disabled) when it is over the budget."""
    shape = get_registry().data_shape(config.dataset)
    if shape is None:
        return True  # the run itself reports what is wrong with its data
    try:
        budget = memory.memory_budget(get_registry().max_parallel)
    except ConfigError as exc:
        slot.error(f"Cannot train: {exc}")
        return False
    try:  # the layers may not fit this data set's images: the error names the layer
        est = memory.estimate(config, shape)
        table = summary(config.layer_specs, (1, shape.height, shape.width), shape.classes)
    except ConfigError as exc:
        slot.error(f"Cannot train with these settings: {exc}")
        return False
    if overview is not None:
        layer_builder.render_overview(overview, table)
    reason = memory.over_budget(est, budget, config)
    if reason:
        slot.error(f"Cannot train with these settings: {reason}")
        return False
    if config.layers:
        network = (
            f"{shape.height}×{shape.width} → {config.layers} → {shape.classes} · "
            f"{table.params:,} parameters, {table.macs:,} multiply-adds per image"
        )
    else:
        network = f"{shape.inputs}-{config.architecture}-{shape.classes}"
    slot.caption(
        f"{network} · memory {est.summary()}, of {memory.format_bytes(budget)} a run may use"
    )
    return True
