"""A fully connected network: forward and backward side by side, caches returned explicitly."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from netlib.activations import ACTIVATIONS
from netlib.initializers import INITIALIZERS


@dataclass
class Cache:
    """What backward needs: each layer's input, pre-activation, activation and dropout mask."""

    inputs: list[np.ndarray]  # what each layer multiplies (after dropout)
    pre: list[np.ndarray]  # hidden pre-activations z
    acts: list[np.ndarray]  # hidden activations a = f(z), before dropout
    masks: list[np.ndarray | None]


class MLP:
    """sizes = [inputs, hidden..., classes]; weights[i] has shape (sizes[i], sizes[i+1])."""

    def __init__(
        self, weights: list[np.ndarray], biases: list[np.ndarray], activation: str
    ) -> None:
        if len(weights) != len(biases) or not weights:
            raise ValueError("a network needs one bias vector per weight matrix")
        self.weights = weights
        self.biases = biases
        self.activation = activation
        self._act = ACTIVATIONS[activation]

    @classmethod
    def create(
        cls,
        sizes: list[int],
        activation: str,
        init: str,
        rng: np.random.Generator,
        dtype: str = "float32",
        init_scale: float = 0.1,
    ) -> MLP:
        make = INITIALIZERS[init]
        weights, biases = [], []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
            weights.append(make(rng, fan_in, fan_out, init_scale).astype(dtype))
            biases.append(np.zeros(fan_out, dtype=dtype))
        return cls(weights, biases, activation)

    @property
    def sizes(self) -> list[int]:
        return [self.weights[0].shape[0]] + [w.shape[1] for w in self.weights]

    @property
    def dtype(self) -> np.dtype:
        return self.weights[0].dtype

    def params(self) -> list[np.ndarray]:
        """The one way to reach every trainable array, in a fixed order (W0, b0, W1, b1, ...)."""
        out = []
        for w, b in zip(self.weights, self.biases, strict=True):
            out += [w, b]
        return out

    def copy(self) -> MLP:
        return MLP(
            [w.copy() for w in self.weights], [b.copy() for b in self.biases], self.activation
        )

    def forward(
        self,
        x: np.ndarray,
        dropout: float = 0.0,
        rng: np.random.Generator | None = None,
        masks: list[np.ndarray] | None = None,
    ) -> tuple[np.ndarray, Cache]:
        """Logits and the cache. Dropout (inverted) applies to hidden activations only.

        `masks` fixes the dropout masks (already scaled by 1/keep) so tests can check gradients.
        """
        cache = Cache([], [], [], [])
        a = x
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            cache.inputs.append(a)
            z = a @ w
            z += b
            if i == last:
                return z, cache
            cache.pre.append(z)
            a = self._act.forward(z)
            cache.acts.append(a)
            mask = None
            if masks is not None:
                mask = masks[i]
            elif dropout > 0.0:
                keep = 1.0 - dropout
                # Uniforms drawn in the activations' dtype (no float64 detour), then turned into
                # the scaled 0 / (1/keep) mask inside that same buffer: one array fewer a step.
                u = rng.random(a.shape, dtype=a.dtype)
                mask = np.multiply(u < keep, a.dtype.type(1.0 / keep), out=u)
            if mask is not None:
                a = a * mask
            cache.masks.append(mask)
        raise AssertionError("unreachable")

    def backward(
        self, cache: Cache, dlogits: np.ndarray, l2: float = 0.0, input_grad: bool = False
    ) -> tuple[list[np.ndarray], np.ndarray | None]:
        """Gradients in params() order, and optionally d(loss)/d(input)."""
        grads: list[np.ndarray] = [None] * (2 * len(self.weights))  # type: ignore[list-item]
        dz = dlogits
        for i in range(len(self.weights) - 1, -1, -1):
            w = self.weights[i]
            dw = cache.inputs[i].T @ dz
            if l2:
                dw += l2 * w
            grads[2 * i] = dw
            grads[2 * i + 1] = dz.sum(axis=0)
            if i == 0 and not input_grad:
                return grads, None
            da = dz @ w.T
            if i == 0:
                return grads, da
            mask = cache.masks[i - 1]
            if mask is not None:
                da *= mask
            dz = self._act.backward(cache.pre[i - 1], cache.acts[i - 1], da)
        raise AssertionError("unreachable")

    def l2_penalty(self, l2: float) -> float:
        """0.5 * l2 * sum of squared weights (biases are not decayed)."""
        if not l2:
            return 0.0
        return 0.5 * l2 * float(sum((w.astype(np.float64) ** 2).sum() for w in self.weights))

    def logits(self, x: np.ndarray, batch: int = 4096) -> np.ndarray:
        """Inference in chunks, so a 70,000-image set never needs one huge activation matrix."""
        out = [self.forward(x[i : i + batch])[0] for i in range(0, len(x), batch)]
        return np.concatenate(out) if out else np.zeros((0, self.sizes[-1]), self.dtype)

    def hidden_activations(self, x: np.ndarray) -> list[np.ndarray]:
        """Post-activation values of every hidden layer (for the draw-a-digit view)."""
        _, cache = self.forward(x)
        return cache.acts
