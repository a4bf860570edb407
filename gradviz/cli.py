"""The `gradviz` command: no arguments opens the app; `check`, `sanity`, `sweep`, `train`, `bench`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from gradviz.core.check.gradcheck import ENGINES, METHODS, gradient_check
from gradviz.core.check.objective import DROPOUT_MODES
from gradviz.core.data.session import OPTIMIZERS, Session
from gradviz.core.model.bugs import BUG_KINDS, Bug
from gradviz.core.model.network import TERMS
from gradviz.core.model.spec import DTYPES
from gradviz.core.report.table import format_report
from gradviz.resources import presets_dir

DEMO_PRESET = presets_dir() / "spiral-tanh.gradviz.json"


#: exit status of `gradviz check` for each conclusion (2 is bad input)
EXIT_CODES = {"correct": 0, "bug": 1, "inconclusive": 3}


class BadInput(Exception):
    """Bad command-line input: reported in one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, no usage dump
        raise BadInput(message)


def _bug(text: str) -> str:
    try:
        bug = Bug.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if bug.kind not in BUG_KINDS:
        raise argparse.ArgumentTypeError(
            f"unknown bug kind {bug.kind!r}; choose from {', '.join(BUG_KINDS)}"
        )
    return str(bug)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="gradviz", description="A visual debugger for backpropagation.")
    sub = parser.add_subparsers(dest="command")
    check = sub.add_parser("check", help="gradient-check a network spec, session or model .py file")
    _session_options(check)
    check.add_argument("--epsilon", type=float)
    check.add_argument("--method", choices=METHODS)
    check.add_argument("--dropout", choices=DROPOUT_MODES)
    check.add_argument("--terms", choices=TERMS)
    check.add_argument("--sample", type=int, help="check N random components per block")
    check.add_argument("--blocks", help="comma-separated blocks to check, e.g. W1,b1")
    check.add_argument("--examples", type=int, help="how many examples the check uses")
    check.add_argument("--engine", choices=ENGINES, default="auto")
    check.add_argument("--json", metavar="OUT", help="write the report as JSON")
    check.add_argument("--csv", metavar="OUT", help="write the per-component report as CSV")
    sanity = sub.add_parser("sanity", help="sanity checks before training (initial loss, λ, overfit)")
    _session_options(sanity)
    sweep = sub.add_parser("sweep", help="error against epsilon for a block or one component")
    _session_options(sweep)
    sweep.add_argument("--block", default="W1", help="the parameter block, e.g. W2")
    sweep.add_argument("--index", type=_index, help="one component, e.g. 3,1 (default: the block)")
    sweep.add_argument("--dtypes", default="float64,float32")
    sweep.add_argument("--methods", default="centered,forward")
    sweep.add_argument("--json", metavar="OUT", help="write the curves as JSON")
    train = sub.add_parser("train", help="train and gradient-check at chosen iterations")
    _session_options(train)
    train.add_argument("--iterations", type=int, default=500)
    train.add_argument("--check-at", type=_iterations, default=(0, 100, 500), metavar="I,J,...")
    train.add_argument("--lr", type=float)
    train.add_argument("--optimizer", choices=OPTIMIZERS)
    bench = sub.add_parser("bench", help="measure the fast check against the reference loop")
    bench.add_argument("rest", nargs=argparse.REMAINDER)
    return parser


def _session_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("spec", nargs="?", default=str(DEMO_PRESET),
                        help="a .gradviz.json session or a bare network spec (default: the demo)")
    parser.add_argument("--data", help="a .csv or .npz file of examples (one per row, label last)")
    parser.add_argument("--dtype", choices=DTYPES)
    parser.add_argument("--bug", type=_bug, metavar="KIND:LAYER")


def _integers(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected whole numbers separated by commas; got {text!r}"
        ) from None


def _index(text: str) -> tuple[int, ...]:
    return _integers(text)


def _iterations(text: str) -> tuple[int, ...]:
    return _integers(text)


def load_session(args: argparse.Namespace) -> Session:
    """The session file with the command line's overrides applied (validated)."""
    session = Session.load(args.spec)
    data = session.to_dict()
    if args.dtype:
        data["spec"]["dtype"] = args.dtype
    names = ("epsilon", "method", "dropout", "terms", "sample")
    overrides = {k: getattr(args, k, None) for k in names}
    data["check"].update({k: v for k, v in overrides.items() if v is not None})
    if args.bug:
        data["check"]["bug"] = args.bug
    if getattr(args, "examples", None) is not None:
        data["data"]["check_examples"] = args.examples
    for name in ("lr", "optimizer"):
        if getattr(args, name, None) is not None:
            data["training"][name] = getattr(args, name)
    return Session.from_dict(data)


def run_check(args: argparse.Namespace) -> int:
    from gradviz.core.data.problem import build_problem

    if args.spec.endswith(".py"):
        from gradviz.cli_modelfile import check_model_file

        report = check_model_file(args)
    else:
        session = load_session(args)
        problem = build_problem(session, data_path=args.data)
        blocks = args.blocks.split(",") if args.blocks else None
        report = gradient_check(problem.net, problem.X_check, problem.y_check, blocks=blocks,
                                engine=args.engine, **session.check.check_kwargs())
    print(format_report(report))
    if args.json:
        Path(args.json).write_text(report.to_json(indent=2), encoding="utf-8")
    if args.csv:
        report.to_csv(args.csv)
    return EXIT_CODES[report.conclusion]


def run_sanity(args: argparse.Namespace) -> int:
    from gradviz.core.data.problem import build_problem
    from gradviz.core.teach.sanity import run_sanity_checks

    problem = build_problem(load_session(args), data_path=args.data)
    results = run_sanity_checks(problem.net.spec, problem.X, problem.y)
    for result in results:
        print(f"[{'ok' if result.ok else 'FAIL'}] {result.name}: {result.message}")
    return 0 if all(r.ok for r in results) else 1


def run_sweep(args: argparse.Namespace) -> int:
    from gradviz.core.data.problem import build_problem
    from gradviz.core.teach.sweep import epsilon_sweep

    problem = build_problem(load_session(args), data_path=args.data)
    sweep = epsilon_sweep(problem.net, problem.X_check, problem.y_check, block=args.block,
                          index=args.index, dtypes=args.dtypes.split(","),
                          methods=args.methods.split(","))
    print("\n".join(sweep.lines()))
    if args.json:
        Path(args.json).write_text(json.dumps(sweep.to_dict(), indent=2), encoding="utf-8")
    return 0


def run_train(args: argparse.Namespace) -> int:
    from gradviz.core.data.problem import build_problem
    from gradviz.core.model.training import Trainer
    from gradviz.core.teach.checkpoints import iter_check_during_training

    session = load_session(args)
    problem = build_problem(session, data_path=args.data)
    t = session.training
    trainer = Trainer(problem.net, problem.X, problem.y, problem.X_dev, problem.y_dev,
                      optimizer=t.optimizer, lr=t.lr, batch_size=t.batch_size, seed=session.data.seed)
    at = sorted({*(i for i in args.check_at if i <= args.iterations), args.iterations})
    passed = True
    for point in iter_check_during_training(trainer, at, X=problem.X_check, y=problem.y_check,
                                            **session.check.check_kwargs()):
        report = point.report
        loss = "" if point.loss is None else f" loss {point.loss:.4g}"
        failing = report.failing_blocks()
        print(f"iteration {point.iteration}:{loss}  {report.verdict()}"
              + (f"  failing: {', '.join(failing)}" if failing else ""))
        passed = passed and report.passed
    if trainer.stop_reason:
        print(trainer.stop_reason)
    return 0 if passed and not trainer.stop_reason else 1


COMMANDS = {"check": run_check, "sanity": run_sanity, "sweep": run_sweep, "train": run_train}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        if not argv:
            from gradviz.ui.app import main as app_main

            return app_main([])
        args = build_parser().parse_args(argv)
        if args.command == "bench":
            from gradviz.bench.fastcheck import main as bench_main

            return bench_main(args.rest)
        if args.command in COMMANDS:
            return COMMANDS[args.command](args)
        build_parser().print_help()
        return 2
    except (BadInput, ValueError, OSError) as exc:
        print(f"gradviz: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
