"""Write tests/fixtures/format-1/: a model file and a run-data directory in today's formats.

Issue 17 turns the network into a stack of layers; stored runs and model files written before
that must keep loading unchanged. This script was run once, before that change, and its output
is committed: never re-run it after the formats change (that would test nothing).

    python tools/make_format_fixtures.py
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from netlib.config import NetConfig  # noqa: E402
from netlib.data.catalog import load_dataset  # noqa: E402
from netlib.modelfile import save_model  # noqa: E402
from netlib.training_data import scale_images  # noqa: E402
from runlayer import RunRegistry  # noqa: E402

OUT = ROOT / "tests" / "fixtures" / "format-1"
CONFIG = NetConfig(dataset="digits-8x8", hidden=(12,), activation="tanh", epochs=3, seed=5)


def main() -> None:
    if OUT.exists():
        shutil.rmtree(OUT)
    home = OUT / "home"
    registry = RunRegistry(home, max_parallel=1)
    run_id = registry.start(CONFIG, "format-1 run")
    assert registry.wait(run_id, 120) == "finished"
    net, config, meta = registry.store.load_weights(run_id, "last")
    record = registry.store.get_run(run_id)
    epochs = registry.store.epoch_metrics(run_id)
    registry.close()
    (home / "runs.lock").unlink(missing_ok=True)
    save_model(OUT / "model.npz", net, config, meta)
    ds = load_dataset("digits-8x8")
    x = scale_images(ds.test_images[:8], ds.max_value, config.dtype)
    expected = {
        "run_id": run_id,
        "name": record.name,
        "status": record.status,
        "final_test_acc": record.final_test_acc,
        "epochs": [m["epoch"] for m in epochs],
        "config": config.to_dict(),
        "sizes": net.sizes,
        "logits_first_8_test_images": net.logits(x).astype(float).tolist(),
    }
    (OUT / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
