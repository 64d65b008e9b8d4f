"""Package names imported on first use (PEP 562), for package __init__ files.

A package whose __init__ imports its own submodules deadlocks with a thread that imports one of
them directly: each waits on the other's module lock, and Python hands one of them a partially
initialised module ("cannot import name 'PRESETS' from partially initialized module
'netlib.presets'", seen on a freshly restarted dashboard, whose pages run in several threads).
So the dashboard's packages import nothing when imported, and re-export their names this way.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_exports(package: str, exports: dict[str, str]) -> Callable[[str], Any]:
    """A module __getattr__ for `package` that imports exports[name]'s module on first use."""
    namespace = importlib.import_module(package).__dict__

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value  # found directly from now on
        return value

    return __getattr__
