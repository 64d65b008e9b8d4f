"""A network as a stack of layers (issue 17): architecture specs -> netlib.layers objects.

``build(specs, input_shape, classes, activation, init, rng, dtype)`` turns the hidden-layer
specs of netlib.architecture (or their text form) into a ``LayerStack``:

- a ``Flatten`` is inserted before the first dense layer that follows an image, and after the
  last layer when it is still an image;
- every conv/dense layer is followed by an ``Activation`` (its own ``:act`` or the network's
  ``activation``), placed after a ``bn`` that directly follows it (conv -> bn -> act);
- the final ``Dense(classes)`` is added implicitly and has no activation: its outputs are the
  logits the losses in netlib.losses take.

Parameters are created in layer order from ``rng`` (so ``build(from_hidden((64,)), ...)``
draws exactly the weights ``MLP.create([784, 64, 10], ...)`` draws from the same seed); dropout
masks come from ``dropout_rng`` (default: a child generator spawned from ``rng``, which does not
advance ``rng``'s stream).

The stack follows the MLP's API where the trainer calls it: ``params()`` is the flat list, in a
fixed order, that netlib.optimizers' ``step(params, grads, lr)`` updates in place, and
``backward`` returns the gradients in that same order (``named_params()`` / ``grads_by_name``
give the per-layer names). ``state()`` / ``load_state()`` are plain name -> array dicts with the
parameters and the batch-norm running statistics (buffers), for a model file.

Pure NumPy (netlib never imports a UI package).
"""

from __future__ import annotations

import copy as _copy
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from netlib import architecture as arch
from netlib.activations import ACTIVATIONS
from netlib.initializers import INITIALIZERS
from netlib.layers import (
    Activation,
    AvgPool2D,
    BatchNorm,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    Layer,
    MaxPool2D,
)

__all__ = [
    "EVAL_CHUNK_BYTES", "LayerStack", "build", "conv_columns", "eval_rows", "sample_elements"
]  # fmt: skip

Shape = tuple[int, ...]
EVAL_ROWS = 4096  # at most this many images per inference chunk (as the MLP)
EVAL_CHUNK_BYTES = 64 * 2**20  # and no more working memory than this per chunk


def conv_columns(table: arch.Summary, specs: Sequence[arch.LayerSpec]) -> list[int]:
    """Each convolution's unfolded input columns per sample (C*K*K per output pixel: what its
    one GEMM multiplies, and what the forward cache keeps for backward), in elements."""
    convs = {spec.token(): spec.filters for spec in specs if isinstance(spec, arch.Conv)}
    return [row.macs // convs[row.name] for row in table.rows if row.name in convs]


def sample_elements(table: arch.Summary, specs: Sequence[arch.LayerSpec]) -> tuple[int, int]:
    """(widest layer output, widest convolution's unfolded columns) per sample, in elements:
    what one inference chunk holds at once (a layer's input and output, and the columns its
    one GEMM multiplies). netlib.memory counts the same."""
    widest = max(int(np.prod(row.output_shape)) for row in table.rows)
    widest = max(widest, int(np.prod(table.input_shape)))
    return widest, max(conv_columns(table, specs), default=0)


def eval_rows(table: arch.Summary, specs: Sequence[arch.LayerSpec], itemsize: int) -> int:
    """Images per inference chunk: EVAL_ROWS, fewer when a chunk would pass EVAL_CHUNK_BYTES."""
    widest, cols = sample_elements(table, specs)
    per_sample = (2 * widest + cols) * itemsize
    return max(1, min(EVAL_ROWS, EVAL_CHUNK_BYTES // per_sample))


def _layer_for(spec: arch.LayerSpec, init: str, init_scale: float, dropout_rng) -> Layer:
    if isinstance(spec, arch.Conv):
        return Conv2D(spec.filters, spec.kernel, spec.stride, spec.padding, init, init_scale)
    if isinstance(spec, arch.Dense):
        return Dense(spec.units, init, init_scale)
    if isinstance(spec, arch.MaxPool):
        return MaxPool2D(spec.size)
    if isinstance(spec, arch.AvgPool):
        return AvgPool2D(spec.size)
    if isinstance(spec, arch.Dropout):
        return Dropout(spec.p, dropout_rng)
    if isinstance(spec, arch.BatchNorm):
        return BatchNorm()
    if isinstance(spec, arch.Flatten):
        return Flatten()
    raise arch.ArchitectureError(f"no layer for the spec {spec!r}")  # pragma: no cover


def build(
    specs: Iterable[arch.LayerSpec] | str,
    input_shape: Sequence[int] = (1, 28, 28),
    classes: int = 10,
    activation: str = "relu",
    init: str = "he",
    rng: np.random.Generator | None = None,
    dtype: Any = "float32",
    init_scale: float = 0.1,
    dropout_rng: np.random.Generator | None = None,
) -> LayerStack:
    """Specs (or their text form) -> a built LayerStack. Raises ArchitectureError (naming the
    token and shapes) when the architecture does not fit `input_shape`."""
    specs = arch.parse(specs) if isinstance(specs, str) else list(specs)
    arch.summary(specs, tuple(input_shape), classes)  # validates, with the usual errors
    if activation not in ACTIVATIONS:
        raise arch.ArchitectureError(
            f"activation must be one of {', '.join(ACTIVATIONS)}, got {activation!r}"
        )
    if init not in INITIALIZERS:
        raise arch.ArchitectureError(f"init must be one of {', '.join(INITIALIZERS)}, got {init!r}")
    rng = np.random.default_rng() if rng is None else rng
    if dropout_rng is None:
        dropout_rng = rng.spawn(1)[0]  # does not advance rng: weights stay MLP-compatible

    layers: list[Layer] = []
    pending: str | None = None  # the activation owed by the last conv/dense layer
    shape: Shape = tuple(int(n) for n in input_shape)
    for spec in specs:
        if pending is not None and not isinstance(spec, arch.BatchNorm):
            layers.append(Activation(pending))
            pending = None
        if isinstance(spec, arch.Dense) and len(shape) == 3:
            layers.append(Flatten())
            shape = layers[-1].output_shape(shape)
        layer = _layer_for(spec, init, init_scale, dropout_rng)
        shape = layer.build(shape, rng, dtype)
        layers.append(layer)
        if isinstance(spec, arch.Conv | arch.Dense):
            pending = spec.activation or activation
        elif pending is not None:  # the bn right after a conv/dense: its activation follows
            layers.append(Activation(pending))
            pending = None
    if pending is not None:
        layers.append(Activation(pending))
    if len(shape) == 3:
        layers.append(Flatten())
        shape = layers[-1].output_shape(shape)
    out = Dense(classes, init, init_scale)
    out.build(shape, rng, dtype)
    layers.append(out)
    return LayerStack(layers, specs, tuple(input_shape), classes, activation, np.dtype(dtype))


class LayerStack:
    """A built sequence of layers ending in the logits. See the module docstring."""

    def __init__(
        self,
        layers: list[Layer],
        specs: list[arch.LayerSpec],
        input_shape: Shape,
        classes: int,
        activation: str,
        dtype: np.dtype,
    ) -> None:
        self.layers = layers
        self.specs = list(specs)
        self.input_shape = tuple(input_shape)
        self.classes = int(classes)
        self.activation = activation
        self._dtype = np.dtype(dtype)
        # Layers up to the first one with parameters never need an input gradient (unless a
        # saliency map is asked for): backward skips them or stops at their parameters.
        self._first_param = next(
            (i for i, layer in enumerate(layers) if layer.params()), len(layers)
        )
        for i, layer in enumerate(layers):
            layer.need_input_grad = i > self._first_param
        # ReLU layers followed by a max-pool that training runs as one fused step (see
        # MaxPool2D.forward_relu); outputs() and the insight paths still go layer by layer.
        self._fused = {
            i
            for i, (layer, after) in enumerate(zip(layers, layers[1:], strict=False))
            if i > self._first_param
            and isinstance(layer, Activation)
            and layer.name == "relu"
            and isinstance(after, MaxPool2D)
        }

    # ---- description -------------------------------------------------------------------------
    @property
    def dtype(self) -> np.dtype:
        return self._dtype

    @property
    def text(self) -> str:
        return arch.to_text(self.specs)

    def summary(self) -> arch.Summary:
        return arch.summary(self.specs, self.input_shape, self.classes)

    def format_summary(self) -> str:
        return arch.format_summary(self.summary())

    def __repr__(self) -> str:
        return f"LayerStack({self.text!r}, input_shape={self.input_shape}, classes={self.classes})"

    # ---- parameters and state ----------------------------------------------------------------
    def _names(self, i: int, layer: Layer, key: str) -> str:
        return f"{i}.{layer.kind}.{key}"

    def named_params(self) -> dict[str, np.ndarray]:
        """name -> the parameter array itself ('0.conv.W', '0.conv.b', '1.batchnorm.gamma',
        ...), in params() order."""
        return {
            self._names(i, layer, key): value
            for i, layer in enumerate(self.layers)
            for key, value in layer.params().items()
        }

    def params(self) -> list[np.ndarray]:
        """Every trainable array, in a fixed order: what optimizers' step() updates in place."""
        return list(self.named_params().values())

    def param_names(self) -> list[str]:
        return list(self.named_params())

    def grads_by_name(self, grads: Sequence[np.ndarray]) -> dict[str, np.ndarray]:
        """backward's flat gradient list -> name -> gradient (the names of named_params())."""
        return dict(zip(self.param_names(), grads, strict=True))

    def buffers(self) -> dict[str, np.ndarray]:
        """name -> non-trainable state (batch-norm running mean and variance)."""
        out = {}
        for i, layer in enumerate(self.layers):
            for key, value in getattr(layer, "buffers", dict)().items():
                out[self._names(i, layer, key)] = value
        return out

    def state(self) -> dict[str, np.ndarray]:
        """Parameters and buffers as a plain name -> array dict of copies (np.savez-able)."""
        return {
            name: value.copy() for name, value in {**self.named_params(), **self.buffers()}.items()
        }

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        """Copy a state() dict into this stack's arrays in place (an optimizer holding them
        keeps working). Refuses missing or unknown names and wrong shapes, naming them."""
        own = {**self.named_params(), **self.buffers()}
        missing = [name for name in own if name not in state]
        unknown = [name for name in state if name not in own]
        if missing or unknown:
            raise ValueError(
                f"state does not fit {self!r}: missing {missing[:5]}, unknown {unknown[:5]}"
            )
        for name, target in own.items():
            value = np.asarray(state[name])
            if value.shape != target.shape:
                raise ValueError(f"state {name!r}: shape {value.shape}, expected {target.shape}")
            np.copyto(target, value, casting="same_kind")

    def copy(self) -> LayerStack:
        """An independent copy: arrays, running statistics and dropout generators."""
        return _copy.deepcopy(self)

    def set_dropout_rng(self, rng: np.random.Generator) -> None:
        for layer in self.layers:
            if isinstance(layer, Dropout):
                layer.rng = rng

    def l2_penalty(self, l2: float) -> float:
        """0.5 * l2 * sum of squared conv/dense weights (biases and bn are not decayed)."""
        if not l2:
            return 0.0
        return 0.5 * l2 * float(sum((w.astype(np.float64) ** 2).sum() for w in self.weights()))

    def weights(self) -> list[np.ndarray]:
        """The weight matrices and kernels L2 applies to (not biases, not batch-norm's)."""
        return [layer.W for layer in self.layers if isinstance(layer, Conv2D | Dense)]

    # ---- computation -------------------------------------------------------------------------
    def _shape_input(self, x: np.ndarray) -> np.ndarray:
        """Flat (N, C*H*W) rows (the data sets' layout) are seen as (N, C, H, W) images."""
        if x.ndim == 2 and len(self.input_shape) == 3:
            return x.reshape(len(x), *self.input_shape)
        return x

    def forward(self, x: np.ndarray, train: bool = False) -> tuple[np.ndarray, list[Any]]:
        """Logits and the caches (one per layer). `train` switches dropout and batch norm's
        batch statistics (and updates the running statistics)."""
        shape = x.shape
        a = self._shape_input(x)
        caches: list[Any] = [shape]
        fused = self._fused
        i = 0
        while i < len(self.layers):
            if i in fused:  # ReLU + max-pool in one step: the pool's cache serves both
                a, cache = self.layers[i + 1].forward_relu(a)
                caches += [None, cache]
                i += 2
                continue
            a, cache = self.layers[i].forward(a, train)
            caches.append(cache)
            i += 1
        return a, caches

    def backward(
        self, caches: list[Any], dlogits: np.ndarray, l2: float = 0.0, input_grad: bool = False
    ) -> tuple[list[np.ndarray], np.ndarray | None]:
        """Gradients in params() order, and d(loss)/d(input) in the input's shape when
        `input_grad` (a saliency map) else None. `l2` adds l2 * W to conv/dense weights."""
        x_shape, layer_caches = caches[0], caches[1:]
        per_layer: list[dict[str, np.ndarray]] = [{} for _ in self.layers]
        first = self._first_param
        stop = 0 if input_grad else first  # below the first parameters only for saliency
        dy = dlogits
        for i in range(len(self.layers) - 1, stop - 1, -1):
            layer = self.layers[i]
            if i in self._fused:
                continue  # its gradient came with the max-pool's, just before
            if i - 1 in self._fused:
                dy = layer.backward_relu(layer_caches[i], dy)[0]
                continue
            if input_grad and i <= first:
                layer.need_input_grad = True
                try:
                    dy, per_layer[i] = layer.backward(layer_caches[i], dy)
                finally:
                    layer.need_input_grad = i > first
            else:
                dy, per_layer[i] = layer.backward(layer_caches[i], dy)
        grads = []
        weights = {id(w) for w in self.weights()} if l2 else set()
        for layer, g in zip(self.layers, per_layer, strict=True):
            for key, param in layer.params().items():
                grad = g[key]
                if id(param) in weights:
                    grad = grad + l2 * param
                grads.append(grad)
        dx = dy.reshape(x_shape) if input_grad else None
        return grads, dx

    def eval_rows(self) -> int:
        """Images per inference chunk (see eval_rows)."""
        return eval_rows(self.summary(), self.specs, self.dtype.itemsize)

    def logits(self, x: np.ndarray, batch: int | None = None) -> np.ndarray:
        """Inference (eval mode) in chunks, so a big set never needs one huge activation."""
        batch = batch or self.eval_rows()
        out = [self.forward(x[i : i + batch], False)[0] for i in range(0, len(x), batch)]
        return np.concatenate(out) if out else np.zeros((0, self.classes), self.dtype)

    def unit_layers(self) -> list[int]:
        """Indices of the layers whose outputs are a network's "hidden units": the activation
        after each conv (channels) or hidden dense layer (units), in order."""
        return [i for i, layer in enumerate(self.layers) if isinstance(layer, Activation)]

    def describe_layer(self, index: int) -> str:
        """'conv16k5 (16×24×24)': the spec behind a unit layer and its output shape."""
        count = sum(isinstance(layer, Activation) for layer in self.layers[: index + 1])
        owners = [s for s in self.specs if isinstance(s, arch.Conv | arch.Dense)]
        shape = self.summary_shapes()[index]
        name = owners[count - 1].token() if 0 < count <= len(owners) else self.layers[index].kind
        return f"{name} ({arch.format_shape(shape)})"

    def summary_shapes(self) -> list[Shape]:
        """Every built layer's per-sample output shape, in layer order."""
        shape, out = self.input_shape, []
        for layer in self.layers:
            shape = layer.output_shape(shape)
            out.append(shape)
        return out

    def output_gradient(
        self, x: np.ndarray, dlogits: np.ndarray, index: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Layer `index`'s output for x (eval mode) and d(sum(dlogits * logits))/d(that
        output), same shape: seed dlogits with +1/-1 on two classes for a margin's gradient."""
        if not 0 <= index < len(self.layers) - 1:
            raise ValueError(f"layer {index} is not a hidden layer of {self!r}")
        _, out, grad = self.outputs_and_gradients(x, lambda _: dlogits, down_to=index)[index]
        return out, grad

    def outputs_and_gradients(
        self, x: np.ndarray, seed: Callable[[np.ndarray], np.ndarray], down_to: int = 0
    ) -> list[tuple[Layer, np.ndarray, np.ndarray | None]]:
        """(layer, its output, d(sum(seed * logits))/d(that output)) for every layer, in eval
        mode, from one forward and one backward pass: what a live feature-map view shows.
        `seed(logits)` gives the logits' gradient (e.g. metrics.margin_seed for a margin).
        The backward pass stops at layer `down_to` (the gradients below it are None)."""
        a = self._shape_input(x)
        caches, outs = [], []
        for layer in self.layers:
            a, cache = layer.forward(a, False)
            caches.append(cache)
            outs.append(a)
        dy = seed(a)
        grads: list[np.ndarray | None] = [None] * len(self.layers)
        grads[-1] = dy
        for j in range(len(self.layers) - 1, down_to, -1):
            layer, wanted = self.layers[j], self.layers[j].need_input_grad
            layer.need_input_grad = True
            try:
                dy, _ = layer.backward(caches[j], dy)
            finally:
                layer.need_input_grad = wanted
            grads[j - 1] = dy.reshape(outs[j - 1].shape)
        return list(zip(self.layers, outs, grads, strict=True))

    def outputs(self, x: np.ndarray) -> list[tuple[Layer, np.ndarray]]:
        """Every layer's output for x in eval mode (feature maps, hidden activations)."""
        a = self._shape_input(x)
        out = []
        for layer in self.layers:
            a, _ = layer.forward(a, False)
            out.append((layer, a))
        return out
