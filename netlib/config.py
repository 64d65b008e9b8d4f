"""One frozen object describes a run; it round-trips through JSON for the store, URL and files.

Each field is declared with its Spec (netlib/settings.py): range or choices, label and help.
Validation here, link and command-line parsing, the CLI options and the Train form all read
those specs; no limit or help text is written anywhere else.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field, fields
from typing import Any

from netlib.activations import ACTIVATIONS
from netlib.architecture import UNITS, LayerSpec, from_hidden, to_json
from netlib.architecture import Dense as DenseSpec
from netlib.architecture import parse as parse_layers
from netlib.initializers import INITIALIZERS
from netlib.losses import LOSSES
from netlib.optimizers import OPTIMIZERS
from netlib.schedules import SCHEDULES
from netlib.settings import ConfigError, Spec, setting, specs_of

__all__ = ["DTYPES", "MAX_EPOCHS", "SPECS", "ConfigError", "NetConfig", "Spec", "parse_hidden"]

DTYPES = ("float32", "float64")
MAX_EPOCHS = 5000


@dataclass(frozen=True)
class NetConfig:
    dataset: str = setting("mnist-sample", Spec(
        "text", "Data set",
        "Which images to train and test on: mnist-sample (bundled, no download), mnist (the "
        "full 70,000), digits-8x8, fashion-mnist, or an uploaded set. The sample is quick; "
        "full MNIST is slower per epoch and is what published accuracies are measured on.",
    ))  # fmt: skip
    hidden: tuple[int, ...] = setting((64,), Spec(
        "widths", "Hidden layers (widths, comma-separated; empty = none)",
        "The width of each hidden layer, e.g. 128, 64 for two; empty trains softmax "
        "regression. Wider or deeper nets can learn more but train slower and overfit sooner; "
        "very narrow ones (under ~16) underfit.",
        low=UNITS[0], high=UNITS[1], max_items=8,
    ))  # fmt: skip
    layers: str = setting("", Spec(
        "layers", "Layers (replaces the hidden widths)",
        "Tokens such as conv16k5 pool2 dense128 (conv{F}k{K}: F filters of K×K; pool{N}: "
        "max-pool; dropout0.5; bn; :relu per layer); empty uses the hidden widths. Convolutions "
        "find strokes wherever they sit in the image, at a higher cost per image.",
    ))  # fmt: skip
    activation: str = setting("sigmoid", Spec(
        "choice", "Activation",
        "The function each hidden unit applies to its weighted input. relu (or leaky_relu) is "
        "the usual choice; sigmoid and tanh saturate, so deep nets of them learn slowly.",
        choices=ACTIVATIONS,
    ))  # fmt: skip
    loss: str = setting("cross_entropy", Spec(
        "choice", "Loss",
        "What training minimises. Softmax cross-entropy is the standard for picking one digit "
        "of ten; mean squared error and binary log-loss also train, usually more slowly.",
        choices=LOSSES,
    ))  # fmt: skip
    optimizer: str = setting("sgd", Spec(
        "choice", "Optimizer",
        "How each step moves the weights: plain sgd, sgd with momentum, or adam (a step size "
        "per weight). Typical starts: sgd or momentum with lr 0.01-0.5, adam with lr 0.001.",
        choices=OPTIMIZERS,
    ))  # fmt: skip
    lr: float = setting(0.1, Spec(
        "float", "Learning rate (log scale)",
        "How far each step moves the weights along the gradient: typically 0.1 for sgd, 0.001 "
        "for adam. Too high and the loss jumps or diverges; too low and it barely falls.",
        low=0.0, high=1e4, low_open=True, form_low=1e-7, format="%g",
    ))  # fmt: skip
    momentum: float = setting(0.9, Spec(
        "float", "Momentum",
        "How much of the previous step each step keeps (momentum optimizer). 0.9 is typical; "
        "close to 1 it overshoots and oscillates, 0 is plain sgd.",
        low=0.0, high=1.0, high_open=True, form_high=0.999, step=0.05,
    ))  # fmt: skip
    nesterov: bool = setting(False, Spec(
        "bool", "Nesterov",
        "Take the gradient where momentum is about to carry the weights, which damps "
        "oscillation a little. Off is classic momentum; both work well with momentum 0.9.",
    ))  # fmt: skip
    beta1: float = setting(0.9, Spec(
        "float", "Adam beta1",
        "Adam's decay of its running mean of gradients. 0.9 is standard; higher smooths more "
        "but reacts later, lower makes the steps noisier.",
        low=0.0, high=1.0, high_open=True,
    ))  # fmt: skip
    beta2: float = setting(0.999, Spec(
        "float", "Adam beta2",
        "Adam's decay of its running mean of squared gradients (which sets each weight's step "
        "size). 0.999 is standard; much lower makes training unstable.",
        low=0.0, high=1.0, high_open=True,
    ))  # fmt: skip
    schedule: str = setting("constant", Spec(
        "choice", "Schedule",
        "How the learning rate changes over the run: constant, step (multiplied by the step "
        "factor every few epochs) or cosine (down to zero by the last epoch). A decay often "
        "gains a little accuracy at the end.",
        choices=SCHEDULES,
    ))  # fmt: skip
    step_every: int = setting(10, Spec(
        "int", "Step every (epochs)",
        "With the step schedule, the epochs between two cuts of the learning rate, typically "
        "a third of the run. Too small cuts the rate to almost nothing early; more than the "
        "epochs never cuts it.",
        low=1, high=MAX_EPOCHS,
    ))  # fmt: skip
    step_gamma: float = setting(0.5, Spec(
        "float", "Step factor",
        "With the step schedule, what each cut multiplies the learning rate by: 0.5 or 0.1 is "
        "typical. 1 never lowers it; a tiny factor stops learning after the first cut.",
        low=0.0, high=1.0, low_open=True, form_low=0.01, step=0.05,
    ))  # fmt: skip
    batch_size: int = setting(64, Spec(
        "int", "Batch size",
        "How many images each step averages its gradient over (0 = full batch: all of them). "
        "32-128 is typical; small batches are noisy and slow per epoch, very large ones take "
        "few steps per epoch.",
        low=0, high=10_000_000,
    ))  # fmt: skip
    epochs: int = setting(10, Spec(
        "int", "Epochs",
        "How many passes over the training images, typically 10-30 here. Too few underfits; "
        "too many takes longer and can overfit (validation loss rises again).",
        low=1, high=MAX_EPOCHS,
    ))  # fmt: skip
    init: str = setting("he", Spec(
        "choice", "Init",
        "How the starting weights are drawn: he suits relu, xavier suits sigmoid and tanh, "
        "lecun is in between; normal uses one fixed scale, easily too large or too small.",
        choices=INITIALIZERS,
    ))  # fmt: skip
    init_scale: float = setting(0.1, Spec(
        "float", "Init scale (randn × scale)",
        "With normal init, the standard deviation of the starting weights, typically "
        "0.01-0.1. Too large saturates sigmoid and tanh or blows the loss up; too small and a "
        "deep net starts with almost no signal.",
        low=0.0, high=10.0, low_open=True, form_low=1e-4, step=0.01, format="%g",
    ))  # fmt: skip
    l2: float = setting(0.0, Spec(
        "float", "L2 weight decay",
        "A penalty that pulls every weight towards zero at each step, against overfitting; "
        "1e-4 is typical and 0 turns it off. Too high and the net underfits.",
        low=0.0, high=10.0, step=1e-4, format="%g",
    ))  # fmt: skip
    dropout: float = setting(0.0, Spec(
        "float", "Dropout (hidden layers)",
        "The share of hidden units switched off at random in each training step, against "
        "overfitting; 0.2-0.5 suits wide layers and 0 turns it off. Too high and the net "
        "learns slowly and underfits.",
        low=0.0, high=1.0, high_open=True, form_high=0.95, step=0.05,
    ))  # fmt: skip
    val_fraction: float = setting(0.1, Spec(
        "float", "Validation fraction",
        "The share of training images held out to measure overfitting after each epoch; 0.1 "
        "is typical and 0 turns validation off. A large share leaves fewer images to learn from.",
        low=0.0, high=0.9, step=0.05,
    ))  # fmt: skip
    seed: int = setting(0, Spec(
        "int", "Seed",
        "Fixes every random choice (starting weights, shuffling, dropout, the validation "
        "split) so a run repeats exactly. Any value will do; change it to see what is luck.",
        low=0, high=2**32 - 1,
    ))  # fmt: skip
    dtype: str = setting("float32", Spec(
        "choice", "dtype",
        "The floating-point precision of weights and arithmetic. float32 is faster and uses "
        "half the memory; float64 is for checking numerics and is rarely needed.",
        choices=DTYPES,
    ))  # fmt: skip
    augment_shift: int = setting(0, Spec(
        "int", "Random shift (pixels)",
        "Moves each training image by up to this many pixels in a random direction, so the "
        "net learns digits wherever they sit; 0 turns it off. 1-2 helps against overfitting; "
        "3-4 pushes strokes off a small image.",
        low=0, high=4,
    ))  # fmt: skip
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        self.validate()
        if self.layers:  # one spelling of an architecture: canonical text, no widths beside it
            object.__setattr__(self, "layers", SPECS["layers"].coerce("layers", self.layers))
            object.__setattr__(self, "hidden", ())
            if self.dropout:
                raise ConfigError(
                    "dropout: with layers, put dropout in the architecture (e.g. dense128 "
                    "dropout0.5) and leave this at 0"
                )

    def validate(self) -> None:
        """Refuse values the engine cannot train with, naming the field and the allowed range."""
        for name, spec in SPECS.items():
            spec.check(name, getattr(self, name))

    def replace(self, **changes: Any) -> NetConfig:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["hidden"] = list(self.hidden)
        d["layers"] = to_json(self.layer_specs) if self.layers else []  # the structured form
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: Any) -> NetConfig:
        """Build from untrusted JSON-like data: unknown keys and wrong types are errors."""
        if not isinstance(data, dict):
            raise ConfigError("config must be a JSON object")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"unknown config keys: {', '.join(unknown)}")
        kwargs: dict[str, Any] = {}
        for name, value in data.items():
            if name == "extra":
                if not isinstance(value, dict):
                    raise ConfigError("extra: must be an object")
                kwargs[name] = dict(value)
            else:
                kwargs[name] = SPECS[name].coerce(name, value)
        return cls(**kwargs)

    @classmethod
    def from_json(cls, text: str) -> NetConfig:
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, TypeError) as exc:
            raise ConfigError(f"config is not valid JSON: {exc}") from None
        return cls.from_dict(data)

    @property
    def architecture(self) -> str:
        """'128-64' (hidden widths, 'none' for none) or the layers' text form."""
        return self.layers or "-".join(str(h) for h in self.hidden) or "none"

    @property
    def layer_specs(self) -> list[LayerSpec]:
        """The hidden layers as netlib.architecture specs, whichever way they were given."""
        return parse_layers(self.layers) if self.layers else from_hidden(self.hidden)

    @property
    def mlp_hidden(self) -> tuple[int, ...] | None:
        """The widths when the architecture is a plain fully connected net (what netlib.network's
        MLP trains, faster and with every weight view), else None."""
        if not self.layers:
            return self.hidden
        specs = self.layer_specs
        plain = all(
            isinstance(s, DenseSpec) and s.activation in (None, self.activation) for s in specs
        )
        return tuple(s.units for s in specs) if plain else None


#: Field name -> its Spec, in the order NetConfig declares them.
SPECS = specs_of(NetConfig)


def parse_hidden(text: str) -> tuple[int, ...]:
    """'128, 64' -> (128, 64); '' -> () (no hidden layer: softmax regression)."""
    return SPECS["hidden"].parse("hidden layers", text)
