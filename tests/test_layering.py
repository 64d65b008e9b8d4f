"""The architecture as a test: the engine (netlib/) and the run layer (runlayer/) never use
Streamlit, plotly or pandas. The training thread runs only their code, so it cannot call
`st.*`; and the engine stays usable from the command line and other programs."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UI_PACKAGES = {"streamlit", "plotly", "pandas"}
LAYERS = ("netlib", "runlayer")


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_no_engine_or_run_layer_module_imports_a_ui_package():
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) & UI_PACKAGES)
        for layer in LAYERS
        for path in sorted((ROOT / layer).rglob("*.py"))
        if imported_packages(path) & UI_PACKAGES
    }
    assert offenders == {}
    assert imported_packages(ROOT / "app" / "live_view.py") & UI_PACKAGES  # the scan sees imports


BLOCKED_RUN = textwrap.dedent(
    """
    import importlib, pkgutil, sys

    class Block:  # any attempt to import a UI package fails loudly
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in {"streamlit", "plotly", "pandas"}:
                raise ImportError(f"{name} imported by the engine or run layer")

    sys.meta_path.insert(0, Block())
    import netlib, runlayer
    for pkg in (netlib, runlayer):
        for mod in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
            if mod.name != "netlib.__main__":
                importlib.import_module(mod.name)
    from netlib.config import NetConfig
    from runlayer import RunRegistry

    registry = RunRegistry(sys.argv[1])
    config = NetConfig(dataset="digits-8x8", hidden=(8,), activation="relu", epochs=2, lr=0.5)
    run_id = registry.start(config, "no ui")
    print(registry.wait(run_id, 120))
    registry.close()
    """
)


def test_a_run_trains_with_the_ui_packages_unimportable(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", BLOCKED_RUN, str(tmp_path / "home")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "finished"
