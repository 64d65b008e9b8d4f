"""Why a network confuses two classes, and whether another run fixes it: plain NumPy.

What the Pair lens, the confusion timeline, Run vs run and Draw a digit pages compute; the
pages only lay these out. Margins, saliency and the fixed/introduced matrices themselves live
in netlib.metrics; drawings are turned into digits by netlib.drawing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from netlib import architecture as arch
from netlib import metrics
from netlib.activations import ACTIVATIONS
from netlib.layer_stack import LayerStack
from netlib.losses import LOSSES
from netlib.nets import Network
from netlib.network import MLP
from netlib.training_data import scale_images


# -- the pair lens --------------------------------------------------------------------------
def pair_means(
    images: np.ndarray, labels: np.ndarray, a: int, b: int, max_value: float
) -> tuple[np.ndarray, np.ndarray]:
    """Average image of class a and of class b, scaled to [0, 1]; NaN for a class with none."""
    out = []
    for c in (a, b):
        members = images[labels == c]
        if len(members):
            out.append(members.mean(axis=0, dtype=np.float64) / max_value)
        else:
            out.append(np.full(images.shape[1:], np.nan))
    return out[0], out[1]


def pair_margins(
    logits: np.ndarray, labels: np.ndarray, a: int, b: int
) -> tuple[np.ndarray, np.ndarray]:
    """Margins logit_a − logit_b of the true-a samples and of the true-b samples."""
    m = metrics.margin(logits, a, b)
    return m[labels == a], m[labels == b]


def partner_class(cm: np.ndarray, a: int) -> int:
    """The class most often confused with a (either way); the next class if a is never wrong."""
    cm = np.asarray(cm)
    k = len(cm)
    both = cm[a, :] + cm[:, a]
    both[a] = -1
    return int(both.argmax()) if both.max() > 0 else (a + 1) % k


def resolve_pair(pair, cm: np.ndarray, default: tuple[int, int] = (4, 9)) -> tuple[int, int]:
    """Two different classes to look at: `pair` if valid, else `default`, else the worst pair.

    A pair of one class twice (a diagonal cell clicked) keeps that class and adds its
    partner_class, the one it is most confused with.
    """
    cm = np.asarray(cm)
    k = len(cm)
    try:
        a, b = (int(v) for v in pair)
    except (TypeError, ValueError):
        a, b = default
    if not (0 <= a < k and 0 <= b < k):
        a, b = default
    if not (0 <= a < k and 0 <= b < k):  # a data set with fewer classes than the default
        off = cm + cm.T - 2 * np.diag(np.diag(cm))
        a, b = np.unravel_index(off.argmax(), off.shape) if off.max() > 0 else (0, 1 % k)
        a, b = int(min(a, b)), int(max(a, b))
    if a == b:
        b = partner_class(cm, a)
    return a, b


def has_hidden(net: Network) -> bool:
    """Whether the network has hidden units to study (MLP: a hidden layer; stack: a conv or
    dense layer before the output)."""
    return len(net.weights) > 1 if isinstance(net, MLP) else bool(net.unit_layers())


def first_layer_margin_gradient(
    net: Network, x: np.ndarray, a: int, b: int, layer: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """First hidden layer's activations h (n, units) and d(logit_a − logit_b)/dh per sample.
    For a layer stack, any unit layer's (`layer`: an index of net.unit_layers(), default the
    first): a convolution's h and gradient are (n, channels, height, width)."""
    if not has_hidden(net):
        raise ValueError("the network has no hidden layer")
    if isinstance(net, LayerStack):
        index = net.unit_layers()[0] if layer is None else layer
        if index not in net.unit_layers():
            raise ValueError(f"layer {index} is not one of the unit layers {net.unit_layers()}")
        seed = metrics.margin_seed(np.zeros((len(x), net.classes), net.dtype), a, b)
        return net.output_gradient(x, seed, index)
    logits, cache = net.forward(x)
    dz = metrics.margin_seed(logits, a, b)
    act = ACTIVATIONS[net.activation]
    for i in range(len(net.weights) - 1, 0, -1):
        dh = dz @ net.weights[i].T  # gradient wrt the input of layer i = activation of i - 1
        if i == 1:
            return cache.acts[0], dh
        dz = act.backward(cache.pre[i - 1], cache.acts[i - 1], dh)
    raise AssertionError("unreachable")


def unit_contributions(
    net: Network, x: np.ndarray, a: int, b: int, layer: int | None = None
) -> np.ndarray:
    """(n, units): how much each first-layer unit adds to logit_a − logit_b, per sample.

    contribution_j(x) = h_j(x) · ∂(logit_a − logit_b)/∂h_j(x), activation times gradient.
    With one hidden layer the margin is linear in h, the gradient is W2[j, a] − W2[j, b], and
    the contributions add up exactly to the margin minus the output biases' difference.
    With more hidden layers it is the first-order share of each first-layer unit (exact for
    ReLU networks up to the deeper layers' biases).

    For a convolutional layer the units are its channels: each channel's contribution is the
    sum over positions of contribution_maps (where in the image the channel adds to it).
    """
    c = contribution_maps(net, x, a, b, layer)
    return c.reshape(len(c), c.shape[1], -1).sum(axis=2) if c.ndim == 4 else c


def contribution_maps(
    net: Network, x: np.ndarray, a: int, b: int, layer: int | None = None
) -> np.ndarray:
    """h · ∂(logit_a − logit_b)/∂h at every unit of a layer: (n, units), or for a convolution
    (n, channels, height, width), the per-position share of each feature map."""
    h, grad = first_layer_margin_gradient(net, x, a, b, layer)
    return h * grad


@dataclass(frozen=True)
class SeparatingUnits:
    """First-layer units ranked by how far apart they push the pair's margins."""

    units: np.ndarray  # unit indices, best separator first
    score: np.ndarray  # mean contribution on true a − mean contribution on true b
    on_a: np.ndarray  # mean contribution to the margin on true-a samples
    on_b: np.ndarray  # ... and on true-b samples


def separating_units(
    net: Network,
    x: np.ndarray,
    labels: np.ndarray,
    a: int,
    b: int,
    top: int = 8,
    layer: int | None = None,
) -> SeparatingUnits | None:
    """The `top` first-layer units that separate a from b most; None without a hidden layer.

    A unit separates the pair when its contribution to the margin (see unit_contributions)
    is high on the a's and low on the b's: score_j = mean_a(c_j) − mean_b(c_j). For one hidden
    layer the scores add up exactly to mean margin on a − mean margin on b (the output biases
    cancel), so they split the gap between the two margin histograms among the units.
    Negative scores are units that pull the two classes together. Also None when either
    class has no sample in x.
    """
    if not has_hidden(net) or not (labels == a).any() or not (labels == b).any():
        return None
    c = unit_contributions(net, x, a, b, layer).astype(np.float64)
    on_a, on_b = c[labels == a].mean(axis=0), c[labels == b].mean(axis=0)
    score = on_a - on_b
    order = np.argsort(-score, kind="stable")[:top]
    return SeparatingUnits(order, score[order], on_a[order], on_b[order])


def weight_difference(net: Network, a: int, b: int) -> np.ndarray | None:
    """For a network without hidden layer: the input pattern that favours a over b (None for
    a stack, whose output layer may see pooled pixels rather than the input's)."""
    if isinstance(net, LayerStack):
        return None
    return net.weights[0][:, a] - net.weights[0][:, b]


@dataclass(frozen=True)
class PairStudy:
    """Everything the Pair lens shows about classes a and b on one test split."""

    a: int
    b: int
    mean_a: np.ndarray  # (H, W) in [0, 1]
    mean_b: np.ndarray
    margins_a: np.ndarray  # logit_a − logit_b of every true-a sample
    margins_b: np.ndarray  # ... of every true-b sample
    a_as_b: np.ndarray  # indices of true-a samples predicted b, most confident first
    b_as_a: np.ndarray
    saliency_a_as_b: np.ndarray  # (min(n, tiles), H*W) for the first samples of a_as_b
    saliency_b_as_a: np.ndarray
    units: SeparatingUnits | None  # None: no hidden layer, see weight_diff
    weight_diff: np.ndarray | None  # (H*W,) when the network has no hidden layer


def study_pair(
    net: Network,
    images: np.ndarray,
    labels: np.ndarray,
    logits: np.ndarray,
    proba: np.ndarray,
    max_value: float,
    a: int,
    b: int,
    tiles: int = 12,
    top_units: int = 8,
) -> PairStudy:
    """The pair lens on uint8 test images (N, H, W) with the network's logits and probabilities."""
    labels = np.asarray(labels, dtype=np.int64)
    pred = logits.argmax(axis=1)
    a_as_b = metrics.cell_samples(labels, pred, proba, a, b)
    b_as_a = metrics.cell_samples(labels, pred, proba, b, a)

    def inputs(index: np.ndarray) -> np.ndarray:
        return scale_images(images[index], max_value, net.dtype.name)

    def sal(index: np.ndarray) -> np.ndarray:
        if len(index) == 0:
            return np.zeros((0, int(np.prod(images.shape[1:]))))
        return metrics.saliency(net, inputs(index[:tiles]), a, b)

    pair = np.flatnonzero((labels == a) | (labels == b))
    hidden = has_hidden(net)
    units = separating_units(net, inputs(pair), labels[pair], a, b, top_units) if hidden else None
    return PairStudy(
        a,
        b,
        *pair_means(images, labels, a, b, max_value),
        *pair_margins(logits, labels, a, b),
        a_as_b,
        b_as_a,
        sal(a_as_b),
        sal(b_as_a),
        units,
        None if hidden else weight_difference(net, a, b),
    )


# -- the confusion timeline -----------------------------------------------------------------
def pair_timeline(
    confusions: dict[int, np.ndarray], a: int, b: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(epochs, a→b errors, b→a errors) from the per-epoch test confusion matrices."""
    epochs = np.array(sorted(confusions), dtype=np.int64)
    a_to_b = np.array([confusions[e][a, b] for e in epochs], dtype=np.int64)
    b_to_a = np.array([confusions[e][b, a] for e in epochs], dtype=np.int64)
    return epochs, a_to_b, b_to_a


# -- run vs run -----------------------------------------------------------------------------
FIXED, INTRODUCED = 0, 1


def diff_cell_samples(
    y_true: np.ndarray, pred_a: np.ndarray, pred_b: np.ndarray, t: int, p: int, change: int
) -> np.ndarray:
    """The samples behind one cell of metrics.fixed_and_introduced, in test-set order.

    change = FIXED: true t, A predicted p (wrong), B right. INTRODUCED: true t, A right,
    B predicted p.
    """
    if change == FIXED:
        keep = (y_true == t) & (pred_a == p) & (pred_a != y_true) & (pred_b == y_true)
    elif change == INTRODUCED:
        keep = (y_true == t) & (pred_a == y_true) & (pred_b == p) & (pred_b != y_true)
    else:
        raise ValueError(f"change must be {FIXED} (fixed) or {INTRODUCED} (introduced)")
    return np.flatnonzero(keep)


# -- draw a digit ---------------------------------------------------------------------------
def explain_input(
    net: Network, x: np.ndarray, loss: str = "cross_entropy"
) -> tuple[np.ndarray, list[np.ndarray]]:
    """One flat input (n_inputs,) in [0, 1] → (class probabilities, hidden activations): for a
    stack, each unit layer's output ((units,) or feature maps (channels, height, width))."""
    logits, hidden = _hidden_outputs(net, np.asarray(x).reshape(1, -1))
    return LOSSES[loss].proba(logits)[0], [h[0] for _, h in hidden]


def _hidden_outputs(net: Network, x: np.ndarray) -> tuple[np.ndarray, list[tuple[str, np.ndarray]]]:
    """(logits, [(name, activations)]) for flat rows x, eval mode: an MLP's hidden layers
    ('hidden layer 1', ...), a stack's activation layers ('1.relu', ...)."""
    batch = np.asarray(x, dtype=net.dtype).reshape(len(x), -1)
    if isinstance(net, MLP):
        logits, cache = net.forward(batch)
        return logits, [(f"hidden layer {i + 1}", h) for i, h in enumerate(cache.acts)]
    outs = net.outputs(batch)
    keep = set(net.unit_layers())
    hidden = [(f"{i}.{layer.name}", out) for i, (layer, out) in enumerate(outs) if i in keep]
    return outs[-1][1], hidden


def feature_maps(net: Network, x: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """Every layer's output for one flat input, named: (description, array of the layer's
    per-sample shape). For an MLP, each hidden layer's activations."""
    batch = np.asarray(x, dtype=net.dtype).reshape(1, -1)
    if isinstance(net, MLP):
        _, cache = net.forward(batch)
        return [(f"hidden layer {i + 1}", h[0]) for i, h in enumerate(cache.acts)]
    names = _layer_names(net)
    return [(names[i], out[0]) for i, (_, out) in enumerate(net.outputs(batch))]


def _layer_names(net: LayerStack) -> list[str]:
    """'3. conv (16×10×10)': each layer's position, kind and per-sample output shape."""
    shapes = net.summary_shapes()
    return [
        f"{i}. {layer.kind} ({arch.format_shape(shapes[i])})" for i, layer in enumerate(net.layers)
    ]


def has_layers(net: Network | None) -> bool:
    """A layer stack (its layers can be drawn one by one), not an MLP."""
    return isinstance(net, LayerStack)


def layer_activity(
    net: Network, x: np.ndarray, a: int, b: int | None = None
) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """For one flat input: (description, output, gradient) of every layer of a stack whose
    output is worth drawing (flatten and dropout repeat their input), where the gradient is
    d(logit_a - logit_b)/d(that output) (d(logit_a) when b is None). Empty for an MLP (its
    hidden units are the Pair lens' business)."""
    if isinstance(net, MLP):
        return []
    batch = np.asarray(x, dtype=net.dtype).reshape(1, -1)
    names = _layer_names(net)
    rows = net.outputs_and_gradients(batch, lambda logits: metrics.margin_seed(logits, a, b))
    return [
        (names[i], out[0], grad[0])
        for i, (layer, out, grad) in enumerate(rows)
        if layer.kind not in ("flatten", "dropout")
    ]


CONFUSED_SEARCH = 2000  # test images confused_sample looks through


def confused_sample(
    net: Network,
    images: np.ndarray,
    labels: np.ndarray,
    a: int,
    b: int,
    limit: int = CONFUSED_SEARCH,
) -> int:
    """Index of the first of the first `limit` images of class a that net takes for b (the
    sample a live feature-map view starts on), else the first image of class a, else 0."""
    images, labels = images[:limit], np.asarray(labels[:limit])
    of_a = np.flatnonzero(labels == a)
    if len(of_a) == 0:
        return 0
    pred = net.logits(images[of_a]).argmax(axis=1)
    taken = of_a[pred == b]
    return int(taken[0] if len(taken) else of_a[0])


def activation_values(net: Network, x: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """(name, every value) of each hidden layer's activations on a probe batch x (flat rows):
    what an activation histogram shows (dead ReLUs pile up at 0, saturated sigmoids at 0
    and 1). For a stack, the output of each activation layer."""
    _, hidden = _hidden_outputs(net, x)
    return [(f"{name} activations", h.ravel()) for name, h in hidden]


def channel_maps(net: Network, x: np.ndarray, channels) -> np.ndarray | None:
    """The first hidden layer's feature maps of the given channels for flat inputs x,
    (N, len(channels), H, W): what the channels the Pair lens ranks see in each confused
    sample. None for a network whose first hidden layer is not an image (an MLP, dense)."""
    _, hidden = _hidden_outputs(net, x)
    if not hidden or hidden[0][1].ndim != 4:
        return None
    return np.asarray(hidden[0][1][:, list(channels)])
