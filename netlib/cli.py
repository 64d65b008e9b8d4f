"""Headless training: `python -m netlib train --preset ID ...` for benchmarks and scripts, and
`python -m netlib sweep --base ID --vary ...` for sweeps (netlib/sweep_cli.py)."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import NoReturn

from netlib.config import SPECS, ConfigError, NetConfig
from netlib.presets import PRESETS
from netlib.sweep_cli import add_sweep_parser, run_sweep_command
from netlib.trainer import EndEvent, EpochEvent, Trainer


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """argparse prints usage plus an error; we print one line and exit 2, never a traceback."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


#: The settings the command line overrides, in --help order (the preset supplies the rest).
CLI_SETTINGS = (
    "dataset", "epochs", "lr", "batch_size", "hidden", "layers", "activation", "loss",
    "optimizer", "seed", "dtype", "val_fraction",
)  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m netlib", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    t = sub.add_parser("train", help="train a preset (options override its settings)")
    add_preset_and_settings(t)
    t.add_argument("--save", help="write the trained model (.npz) here")
    t.add_argument("--json", action="store_true", help="end with one JSON line of results")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    t.add_argument(
        "--summary",
        action="store_true",
        help="print each layer's output shape, parameters and multiply-adds, then exit",
    )
    add_sweep_parser(sub, add_preset_and_settings)
    return p


def add_preset_and_settings(parser: argparse.ArgumentParser, preset: str = "--preset") -> None:
    """The preset a run starts from and the settings that override it (train and sweep)."""
    parser.add_argument(preset, dest="preset", required=True, choices=sorted(PRESETS))
    add_setting(parser, "dataset")
    parser.add_argument(
        "--mnist-dir", help="folder holding the four MNIST IDX files (implies mnist)"
    )
    for name in CLI_SETTINGS[1:]:
        add_setting(parser, name)


def print_summary(config: NetConfig, out=sys.stdout) -> int:
    """The network of config on its data set's shape, layer by layer, without training."""
    from netlib.architecture import format_summary, summary
    from netlib.memory import BUILTIN_SHAPES, estimate

    shape = BUILTIN_SHAPES.get(config.dataset)  # --mnist-dir alone already means mnist
    if shape is None:
        raise UsageError(f"--summary needs a built-in data set, not {config.dataset!r}")
    table = summary(config.layer_specs, (1, shape.height, shape.width), shape.classes)
    out.write(format_summary(table) + "\n")
    out.write(f"memory {estimate(config, shape).summary()}\n")
    return 0


def add_setting(parser: argparse.ArgumentParser, name: str) -> None:
    """--name-with-dashes, its type, choices and help all from the setting's Spec."""
    spec = SPECS[name]
    kwargs: dict = {"help": spec.help}
    if spec.kind == "choice":
        kwargs["choices"] = list(spec.choices)
    elif spec.kind != "text":
        kwargs["help"] += f" Allowed: {spec.allowed()}."
        kwargs["type"] = {"int": int, "float": float}.get(spec.kind) or _parser(name)
    kwargs["help"] = kwargs["help"].replace("%", "%%")  # argparse formats help with %
    parser.add_argument("--" + name.replace("_", "-"), **kwargs)


#: The name an option's errors give its setting (the form's words for the hidden widths).
_SHOWN = {"hidden": "hidden layers"}


def _parser(name: str):
    """An argparse type for a setting parsed from text by its Spec (widths, layers)."""

    def parse(text: str):
        try:
            return SPECS[name].parse(_SHOWN.get(name, name), text)
        except ConfigError as exc:  # argparse then names the option and exits 2
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse


def config_from_args(args: argparse.Namespace) -> NetConfig:
    changes = {n: v for n in CLI_SETTINGS if (v := getattr(args, n)) is not None}
    if changes.get("layers"):
        changes.setdefault("dropout", 0.0)  # a preset's MLP dropout does not carry over
    elif "hidden" in changes:
        changes["layers"] = ""  # --hidden over a convolutional preset: the widths win
    if not args.dataset:
        changes.pop("dataset", None)
        if args.mnist_dir:
            changes["dataset"] = "mnist"
    try:
        return PRESETS[args.preset].config.replace(**changes)
    except (ConfigError, TypeError) as exc:
        raise UsageError(str(exc)) from None


class ProgressPrinter:
    """A text progress bar for batches and one line per epoch."""

    def __init__(self, out, quiet: bool) -> None:
        self.out, self.quiet = out, quiet

    def __call__(self, event: object) -> None:
        from netlib.trainer import BatchEvent

        if isinstance(event, BatchEvent) and not self.quiet:
            done = int(30 * event.batch / event.batches)
            bar = "#" * done + "." * (30 - done)
            self.out.write(f"\repoch {event.epoch} [{bar}] loss {event.loss:.4f}")
            self.out.flush()
        elif isinstance(event, EpochEvent):
            line = (
                f"epoch {event.epoch}/{event.epochs}  train loss {event.train_loss:.4f} "
                f"acc {event.train_acc:.4f}"
            )
            if event.val_acc is not None:
                line += f"  val loss {event.val_loss:.4f} acc {event.val_acc:.4f}"
            if event.test_acc is not None:
                line += f"  test acc {event.test_acc:.4f}"
            line += f"  {event.epoch_seconds:.1f}s ({event.samples_per_sec:,.0f} samples/s)"
            self.out.write(("\r" if not self.quiet else "") + line + "\n")


def run_train(args: argparse.Namespace, out=sys.stdout) -> int:
    from netlib.data import DataError
    from netlib.data.catalog import load_dataset
    from netlib.modelfile import save_model
    from netlib.training_data import prepare

    config = config_from_args(args)
    if args.summary:
        return print_summary(config, out)
    if args.save is not None:
        check_destination(args.save)
    from netlib.memory import BUILTIN_SHAPES, check_budget, memory_budget

    if config.dataset in BUILTIN_SHAPES:  # ConfigError (exit 2) before loading or allocating
        check_budget(config, BUILTIN_SHAPES[config.dataset], memory_budget())
    try:
        ds = load_dataset(config.dataset, mnist_dir=args.mnist_dir)
    except DataError as exc:
        raise UsageError(" ".join(str(exc).split())) from None
    data = prepare(ds, config.val_fraction, config.seed, config.dtype)
    last: dict[str, EpochEvent] = {}

    def keep(event: object) -> None:
        if isinstance(event, EpochEvent):
            last["epoch"] = event

    trainer = Trainer(config, data, [ProgressPrinter(out, args.quiet), keep])
    end: EndEvent = trainer.run()
    final = last.get("epoch")
    test_acc = final.test_acc if final else None
    out.write(f"{end.status}: {end.reason}\n")
    if test_acc is not None:
        out.write(f"test accuracy {test_acc:.4f} (claimed: {PRESETS[args.preset].claim}, "
                  f"measured on {PRESETS[args.preset].claim_data})\n")  # fmt: skip
    saved_where = args.save
    if args.save and final is not None:
        saved_where = save_or_rescue(
            args.save, lambda p: save_model(p, trainer.net, config, {"test_acc": test_acc})
        )
        if saved_where:
            out.write(f"saved {saved_where}\n")
    if args.json:
        result = {
            "preset": args.preset,
            "dataset": config.dataset,
            "epochs": end.epochs_done,
            "status": end.status,
            "train_seconds": round(end.train_seconds, 3),
            "test_accuracy": test_acc,
            "val_accuracy": final.val_acc if final else None,
            "architecture": config.architecture,
            "parameters": _parameters(trainer.net),
        }
        out.write(json.dumps(result) + "\n")
    return 0 if end.status == "finished" and saved_where == args.save else 1


def _parameters(net) -> int:
    return int(sum(p.size for p in net.params()))


def check_destination(path: str) -> None:
    """Refuse a --save path that cannot be written *before* training, by writing there."""
    if not path.strip():
        raise UsageError("--save needs a file name, e.g. --save model.npz")
    target = Path(path).expanduser()
    if target.is_dir():
        raise UsageError(f"--save {path}: that is a directory; give a file name inside it")
    folder = target.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent  # save_model creates the missing folders
    if not folder.is_dir():
        raise UsageError(f"--save {path}: {folder} is not a directory")
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        why = exc.strerror or exc
        raise UsageError(f"--save {path}: cannot write in {folder} ({why})") from None


def save_or_rescue(path: str, save) -> str:
    """Save to path; if that fails after all (disk full, removed folder), save the model in the
    working directory (else the temp directory) rather than lose it, and say so on stderr."""
    try:
        save(path)
        return path
    except OSError as exc:
        reason = exc.strerror or str(exc)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for folder in (Path.cwd(), Path(tempfile.gettempdir())):
        rescue = folder / f"digit-net-rescued-{stamp}-{Path(path).name or 'model.npz'}"
        try:
            save(rescue)
        except OSError:
            continue
        sys.stderr.write(f"error: could not save to {path} ({reason}); saved to {rescue}\n")
        return str(rescue)
    sys.stderr.write(f"error: could not save to {path} ({reason}), nor in {Path.cwd()}\n")
    return ""


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        if args.command == "train":
            return run_train(args)
        if args.command == "sweep":
            return run_sweep_command(args, config_from_args(args))
    except UsageError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    except ConfigError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    return 2
