"""netlib: a fully connected network for handwritten digits, written from scratch in NumPy."""

from netlib.config import ConfigError, NetConfig
from netlib.network import MLP
from netlib.presets import PRESETS
from netlib.trainer import BatchEvent, EndEvent, EpochEvent, Trainer

__all__ = [
    "MLP",
    "PRESETS",
    "BatchEvent",
    "ConfigError",
    "EndEvent",
    "EpochEvent",
    "NetConfig",
    "Trainer",
]
