"""netlib.architecture: the text and JSON forms of a layer stack, their limits and errors, shape
inference with parameter and multiply-add counts, and today's fully connected configs."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netlib import architecture as arch
from netlib.architecture import (
    ACTIVATION_NAMES,
    ArchitectureError,
    AvgPool,
    BatchNorm,
    Conv,
    Dense,
    Dropout,
    Flatten,
    MaxPool,
    format_summary,
    from_hidden,
    from_json,
    parse,
    summary,
    to_json,
    to_text,
)
from netlib.settings import ConfigError

LENET = "conv6k5same pool2 conv16k5 pool2 dense120 dense84"

# ---- hypothesis: any valid architecture ------------------------------------------------------
activations = st.none() | st.sampled_from(ACTIVATION_NAMES)
specs = st.one_of(
    st.builds(
        Conv,
        filters=st.integers(*arch.FILTERS),
        kernel=st.integers(*arch.KERNEL),
        stride=st.sampled_from(arch.STRIDES),
        padding=st.sampled_from(arch.PADDINGS),
        activation=activations,
    ),
    st.builds(MaxPool, size=st.sampled_from(arch.POOL_SIZES)),
    st.builds(AvgPool, size=st.sampled_from(arch.POOL_SIZES)),
    st.builds(Dense, units=st.integers(*arch.UNITS), activation=activations),
    st.builds(Dropout, p=st.floats(*arch.DROPOUT, allow_nan=False)),
    st.builds(BatchNorm),
    st.builds(Flatten),
)
architectures = st.lists(specs, max_size=arch.MAX_LAYERS)


@given(architectures)
def test_text_round_trips(layers):
    text = to_text(layers)
    assert parse(text) == layers
    assert to_text(parse(text)) == text


@given(architectures)
def test_json_round_trips_also_through_a_json_string(layers):
    data = to_json(layers)
    assert from_json(data) == layers
    assert from_json(json.dumps(data)) == layers


@given(architectures, st.sampled_from([" ", ",", ", ", "  ,\t", "\n"]))
def test_separators_and_case_do_not_matter(layers, separator):
    tokens = to_text(layers).split()
    assert parse(separator.join(tokens).upper()) == layers


def test_the_grammar_by_example():
    assert parse("conv32k3s2same:relu, maxpool3 avgpool2 batchnorm bn dropout0.25 flatten") == [
        Conv(32, 3, stride=2, padding="same", activation="relu"),
        MaxPool(3),
        AvgPool(2),
        BatchNorm(),
        BatchNorm(),
        Dropout(0.25),
        Flatten(),
    ]
    assert parse("conv8k3s1valid pool2 dense10:tanh") == [Conv(8, 3), MaxPool(2), Dense(10, "tanh")]
    assert to_text(parse("conv8k3s1valid maxpool2 batchnorm")) == "conv8k3 pool2 bn"
    assert to_text([Dropout(0), Dropout(0.5), Dropout(1e-5)]) == "dropout0 dropout0.5 dropout1e-05"
    assert parse("") == [] and parse(" , ") == [] and to_text([]) == ""


# ---- errors name the token and its position --------------------------------------------------
@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("conv16k9", "kernel 9 is over the limit 7"),
        ("conv0k3", "filters 0 is under the limit 1"),
        ("conv300k3", "filters 300 is over the limit 256"),
        ("conv16k0", "kernel 0 is under the limit 1"),
        ("conv16k3s3", "stride must be one of 1, 2, got 3"),
        ("conv16", "a convolution is conv{filters}k{kernel}"),
        ("conv16k3full", "a convolution is"),
        ("pool4", "size must be one of 2, 3, got 4"),
        ("avgpool1", "size must be one of 2, 3, got 1"),
        ("pool", "pooling is pool{size}"),
        ("dense0", "units 0 is under the limit 1"),
        ("dense9000", "units 9000 is over the limit 8192"),
        ("dense", "a dense layer is dense{units}"),
        ("dropout0.95", "p 0.95 is outside 0.0..0.9"),
        ("dropout", "dropout is dropout{p}"),
        ("dropout-0.1", "dropout is dropout{p}"),
        ("dense12:swish", "activation must be one of sigmoid, tanh, relu, leaky_relu"),
        ("dense12:", "':' must be followed by an activation"),
        ("pool2:relu", "pool2 takes no activation"),
        ("bn:relu", "bn takes no activation"),
        ("bnx", "batch norm is bn"),
        ("flattened", "flatten takes nothing"),
        ("lstm64", "unknown layer"),
        ("dense\u0661\u0662", "a dense layer is dense{units}"),  # ASCII digits only
        ("dense" + "9" * 13, "far too long"),
    ],
)
def test_a_bad_token_is_named_with_its_position(token, message):
    with pytest.raises(ArchitectureError) as caught:
        parse(f"conv8k3 pool2 {token} dense10")
    assert str(caught.value).startswith(f"token 3 {token!r}: "), str(caught.value)
    assert message in str(caught.value)


def test_the_exact_message_of_the_issue():
    with pytest.raises(
        ArchitectureError, match=r"^token 3 'conv16k9': kernel 9 is over the limit 7$"
    ):
        parse("conv6k5 pool2 conv16k9")


def test_architecture_errors_are_config_errors():
    assert issubclass(ArchitectureError, ConfigError) and issubclass(ArchitectureError, ValueError)


def test_limits_on_the_whole_text():
    parse(" ".join(["dense8"] * arch.MAX_LAYERS))
    with pytest.raises(ArchitectureError, match="17 layers is over the limit 16"):
        parse(" ".join(["dense8"] * (arch.MAX_LAYERS + 1)))
    with pytest.raises(ArchitectureError, match="over the limit 512"):
        parse("dense8 " * 100)
    with pytest.raises(ArchitectureError, match="must be text"):
        parse(None)  # type: ignore[arg-type]


def test_specs_validate_themselves_when_built_in_code():
    with pytest.raises(ArchitectureError, match="kernel 8 is over the limit 7"):
        Conv(8, 8)
    with pytest.raises(ArchitectureError, match="filters must be a whole number"):
        Conv(True, 3)
    with pytest.raises(ArchitectureError, match="padding must be one of valid, same"):
        Conv(8, 3, padding="full")
    assert Dropout(0).p == 0.0 and isinstance(Dropout(0).p, float)
    assert Dropout(-0.0).token() == "dropout0"


# ---- JSON: untrusted --------------------------------------------------------------------------
def test_the_json_form_is_plain_and_explicit():
    assert to_json(parse("conv6k5same:tanh pool2 dense120 dropout0.5 bn flatten")) == [
        {"kind": "conv", "filters": 6, "kernel": 5, "stride": 1, "padding": "same",
         "activation": "tanh"},
        {"kind": "maxpool", "size": 2},
        {"kind": "dense", "units": 120, "activation": None},
        {"kind": "dropout", "p": 0.5},
        {"kind": "batchnorm"},
        {"kind": "flatten"},
    ]  # fmt: skip


def test_json_optional_fields_take_their_defaults():
    assert from_json([{"kind": "conv", "filters": 4, "kernel": 3}, {"kind": "maxpool"}]) == [
        Conv(4, 3),
        MaxPool(2),
    ]
    assert from_json([{"kind": "dropout", "p": 0}]) == [Dropout(0.0)]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "dense", "units": 3}, "the layers must be a list, got dict"),
        ("not json", "the layers JSON does not parse"),
        ("[" * 10_000 + "]" * 10_000, "the layers JSON does not parse"),
        ("[" * 30_000, "over the limit 20000"),
        ('[{"kind": "dense", "units": ' + "9" * 5000 + "}]", "the layers JSON does not parse"),
        ([[[[[[]]]]]], "layer 1: must be an object, got list"),
        ([{"kind": "dense", "units": 3}] * 17, "17 layers is over the limit 16"),
        ([{"units": 3}], "layer 1: field 'kind' must be one of conv, maxpool"),
        ([{"kind": "lstm"}], "layer 1: field 'kind' must be one of"),
        ([{"kind": ["dense"]}], "layer 1: field 'kind' must be one of"),
        ([{"kind": "dense"}], "layer 1 (dense): field 'units' is missing"),
        ([{"kind": "dense", "units": 3, "bias": False}], "layer 1 (dense): unknown field 'bias'"),
        ([{"kind": "bn"}], "field 'kind' must be one of"),
        ([{"kind": "batchnorm", "momentum": 0.1}], "layer 1 (batchnorm): unknown field"),
        (
            [{"kind": "dense", "units": 10**400}],
            "field 'units': units (a 401-digit number) is over",
        ),
        ([{"kind": "dense", "units": -(10**400)}], "field 'units': units (a 401-digit negative"),
        ([{"kind": "dense", "units": 1e400}], "field 'units': units must be a whole number"),
        ([{"kind": "dense", "units": 12.0}], "field 'units': units must be a whole number"),
        ([{"kind": "dense", "units": "12"}], "field 'units': units must be a whole number"),
        ([{"kind": "dense", "units": True}], "field 'units': units must be a whole number"),
        ([{"kind": "dense", "units": [[[[3]]]]}], "field 'units': units must be a whole number"),
        ([{"kind": "dense", "units": 3, "activation": 3}], "field 'activation': activation must"),
        ([{"kind": "dense", "units": 3, "activation": ""}], "field 'activation': activation must"),
        ([{"kind": "conv", "filters": 3, "kernel": 3, "stride": True}], "field 'stride'"),
        ([{"kind": "conv", "filters": 3, "kernel": 3, "stride": 2.0}], "field 'stride'"),
        ([{"kind": "conv", "filters": 3, "kernel": 3, "padding": None}], "field 'padding'"),
        ([{"kind": "maxpool", "size": 4}], "layer 1 (maxpool): field 'size'"),
        ([{"kind": "dropout", "p": float("nan")}], "layer 1 (dropout): field 'p': p nan"),
        ([{"kind": "dropout", "p": 10**400}], "field 'p': p (a 401-digit number) is outside"),
        ([{"kind": "dropout", "p": "0.5"}], "field 'p': p must be a number"),
        ([{"kind": "dense", "units": 3}, "dense3"], "layer 2: must be an object, got str"),
    ],
)
def test_hostile_json_is_refused_naming_the_field(data, message):
    with pytest.raises(ArchitectureError) as caught:
        from_json(data)
    assert message in str(caught.value)
    assert len(str(caught.value)) < 300


def test_json_from_a_string_with_a_nan_is_refused():
    with pytest.raises(ArchitectureError, match="p nan is outside"):
        from_json('[{"kind": "dropout", "p": NaN}]')


# ---- today's fully connected configs ---------------------------------------------------------
@given(st.lists(st.integers(*arch.UNITS), max_size=arch.MAX_LAYERS))
def test_hidden_widths_are_dense_layers(hidden):
    specs_ = from_hidden(tuple(hidden))
    assert specs_ == [Dense(u) for u in hidden]
    assert to_text(specs_) == " ".join(f"dense{u}" for u in hidden)
    assert parse(to_text(specs_)) == specs_


def test_from_hidden_examples_and_errors():
    assert to_text(from_hidden((64,))) == "dense64"
    assert to_text(from_hidden((128, 64))) == "dense128 dense64"
    assert from_hidden(()) == []
    with pytest.raises(ArchitectureError, match="hidden layer 2: units 0 is under the limit 1"):
        from_hidden((3, 0))
    with pytest.raises(ArchitectureError, match="hidden must be a sequence"):
        from_hidden("64")  # type: ignore[arg-type]


def test_an_mlp_summary_matches_todays_network():
    # 784-64-10: 64*(784+1) + 10*(64+1) weights and biases.
    result = summary(from_hidden((64,)), input_shape=(784,), classes=10)
    assert [row.output_shape for row in result.rows] == [(64,), (10,)]
    assert result.params == 64 * 785 + 10 * 65
    assert result.macs == 784 * 64 + 64 * 10
    image = summary(from_hidden((64,)), input_shape=(1, 28, 28))
    assert image.params == result.params and image.rows[0].name == "(flatten)"
    assert summary([], input_shape=(64,)).params == 10 * 65  # softmax regression


# ---- summary ---------------------------------------------------------------------------------
def test_lenet5_shapes_and_counts_by_hand():
    result = summary(parse(LENET), input_shape=(1, 28, 28), classes=10)
    explicit = [row for row in result.rows if row.name != "(flatten)"]
    assert [row.name for row in explicit] == [*LENET.split(), "output:softmax"]
    assert [row.output_shape for row in explicit] == [
        (6, 28, 28), (6, 14, 14), (16, 10, 10), (16, 5, 5), (120,), (84,), (10,)
    ]  # fmt: skip
    # conv F*(C*K*K+1); dense U*(in+1); flatten 16*5*5 = 400.
    params = [6 * (1 * 25 + 1), 0, 16 * (6 * 25 + 1), 0, 120 * (400 + 1), 84 * 121, 10 * 85]
    assert [row.params for row in explicit] == params == [156, 0, 2416, 0, 48120, 10164, 850]
    assert result.params == 61706
    # conv F*C*K*K*outH*outW; dense in*U.
    macs = [6 * 25 * 28 * 28, 0, 16 * 6 * 25 * 10 * 10, 0, 400 * 120, 120 * 84, 84 * 10]
    assert [row.macs for row in explicit] == macs
    assert result.macs == sum(macs) == 416520
    flatten = [row for row in result.rows if row.name == "(flatten)"]
    assert [(row.output_shape, row.implicit) for row in flatten] == [((400,), True)]
    assert result.rows[-1].implicit


def test_strides_padding_pooling_and_batch_norm():
    result = summary(parse("conv8k3s2same bn pool3 conv4k2s2 avgpool2 bn dropout0.1"), (3, 32, 32))
    assert [row.output_shape for row in result.rows] == [
        (8, 16, 16),  # same: ceil(32/2)
        (8, 16, 16),
        (8, 5, 5),  # 16 // 3, leftover dropped
        (4, 2, 2),  # valid: (5-2)//2+1
        (4, 1, 1),
        (4, 1, 1),
        (4, 1, 1),
        (4,),  # implicit flatten before the softmax
        (10,),
    ]
    assert [row.params for row in result.rows] == [
        8 * (3 * 9 + 1), 2 * 8, 0, 4 * (8 * 4 + 1), 0, 2 * 4, 0, 0, 10 * 5
    ]  # fmt: skip
    assert result.rows[0].macs == 8 * 3 * 9 * 16 * 16
    assert result.rows[3].macs == 4 * 8 * 4 * 2 * 2
    dense_bn = summary(parse("dense32 bn"), (20,))
    assert dense_bn.rows[1].params == 2 * 32  # over features
    flat = summary(parse("conv2k3 flatten dense5"), (1, 5, 5))
    assert [row.output_shape for row in flat.rows] == [(2, 3, 3), (18,), (5,), (10,)]


@pytest.mark.parametrize(
    ("text", "shape", "message"),
    [
        ("conv32k5s2 pool3 pool3 pool2", (1, 28, 28),
         "token 4 'pool2': input 32×1×1 is smaller than the pool size 2"),
        ("conv8k7 conv8k7 conv8k7 conv8k7 conv8k7", (1, 28, 28),
         "token 5 'conv8k7': input 8×4×4 is smaller than the kernel 7×7"),
        ("conv8k5", (1, 4, 4), "token 1 'conv8k5': input 1×4×4 is smaller than the kernel 5×5"),
        ("dense10 conv8k3", (1, 8, 8), "token 2 'conv8k3': needs an image input"),
        ("dense10 pool2", (1, 8, 8), "token 2 'pool2': needs an image input"),
        ("pool2", (64,), "token 1 'pool2': needs an image input (channels×height×width), got "
         "the vector 64"),
        ("flatten flatten", (1, 8, 8), "token 2 'flatten': input 64 is already flat"),
    ],
)  # fmt: skip
def test_shapes_that_do_not_fit_are_named(text, shape, message):
    with pytest.raises(ArchitectureError) as caught:
        summary(parse(text), input_shape=shape)
    assert message in str(caught.value)


def test_summary_checks_its_arguments():
    for bad in [(1, 28), (0, 28, 28), (1.0, 28, 28), "1x28x28", None, (True, 2, 2)]:
        with pytest.raises(ArchitectureError, match="input_shape must be"):
            summary([], input_shape=bad)
    with pytest.raises(ArchitectureError, match="classes 0 is under the limit 1"):
        summary([], classes=0)
    with pytest.raises(ArchitectureError, match="layer 1 is not a layer spec"):
        summary(["dense3"])
    assert summary([], (4,), classes=3).rows[0].output_shape == (3,)


@given(architectures)
def test_summary_either_fits_or_names_a_token(layers):
    try:
        result = summary(layers, input_shape=(1, 28, 28))
    except ArchitectureError as error:
        assert re.match(r"token \d+ '[a-z0-9.:_+-]+': ", str(error)), str(error)
    else:
        assert result.rows[-1].output_shape == (10,)
        assert result.params == sum(row.params for row in result.rows) > 0


def test_the_table():
    table = format_summary(summary(parse(LENET)))
    lines = table.splitlines()
    assert lines[0].split() == ["layer", "output", "params", "mult-adds"]
    assert lines[2].split() == ["input", "1×28×28"]
    assert lines[3].split() == ["conv6k5same", "6×28×28", "156", "117,600"]
    assert "(flatten)       400" in table
    assert lines[-3].split() == ["total", "61,706", "416,520"]
    assert "implicit" in lines[-2] and "running statistics" in lines[-2]
    widths = {len(line) for line in lines if line.startswith(("-", "layer"))}
    assert len(widths) <= 2  # header and rules line up


def test_errors_carry_the_position_for_a_form_to_mark():
    with pytest.raises(ArchitectureError) as caught:
        parse("dense8 dense8 conv8k9")
    assert caught.value.position == 3
    with pytest.raises(ArchitectureError) as caught:
        from_json([{"kind": "dense", "units": 3}, {"kind": "dense", "units": 0}])
    assert caught.value.position == 2
    with pytest.raises(ArchitectureError) as caught:
        summary(parse("conv8k3 dense4 pool2"), (1, 8, 8))
    assert caught.value.position == 3
    with pytest.raises(ArchitectureError) as caught:
        parse("dense8 " * 17)
    assert caught.value.position is None


# ---- the summary agrees with the layers themselves -------------------------------------------
def _layers_of(specs_, input_shape):
    """A test-local builder: the spec kinds -> netlib.layers, implicit flatten included."""
    from netlib import layers

    kinds = {
        Conv: lambda s: layers.Conv2D(s.filters, s.kernel, s.stride, s.padding),
        MaxPool: lambda s: layers.MaxPool2D(s.size),
        AvgPool: lambda s: layers.AvgPool2D(s.size),
        Dense: lambda s: layers.Dense(s.units),
        Dropout: lambda s: layers.Dropout(s.p),
        BatchNorm: lambda s: layers.BatchNorm(),
        Flatten: lambda s: layers.Flatten(),
    }
    made, image = [], len(input_shape) == 3
    for spec in specs_:
        if isinstance(spec, Dense) and image:
            made.append(layers.Flatten())
        made.append(kinds[type(spec)](spec))
        image = image and not isinstance(spec, Dense | Flatten)
    if image:  # the implicit flatten before the softmax
        made.append(layers.Flatten())
    return made


@given(architectures, st.sampled_from([(1, 28, 28), (3, 12, 12), (1, 8, 8)]))
def test_summary_shapes_and_parameters_agree_with_netlib_layers(layers_, input_shape):
    import numpy as np

    try:
        result = summary(layers_, input_shape=input_shape, classes=10)
    except ArchitectureError:
        return
    rows = [row for row in result.rows if row.name != "output:softmax"]
    built = _layers_of(layers_, input_shape)
    shape, small = input_shape, result.params < 300_000
    rng = np.random.default_rng(0)
    for layer, row in zip(built, rows, strict=True):
        shape = layer.build(shape, rng) if small else layer.output_shape(shape)
        assert tuple(shape) == row.output_shape, (layer, row)
        if small:
            assert sum(a.size for a in layer.params().values()) == row.params, (layer, row)
