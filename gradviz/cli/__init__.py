"""The `gradviz` command: no arguments opens the app, a FILE opens it on that session (or .py
model file); `check`, `sanity`, `sweep`, `train`, `bench`.

Exit status: 0 correct, 1 bug (a check or sanity check failed), 2 bad input (one line on stderr
naming the field and the allowed values), 3 inconclusive, 4 internal error (one line; the
traceback with --debug). With `--json -` or `--csv -` the export goes to stdout and the table to
stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import traceback
from pathlib import Path

from gradviz.core.check.gradcheck import ENGINES, METHODS, gradient_check
from gradviz.core.check.modelfile import UserCodeError
from gradviz.core.check.objective import DROPOUT_MODES
from gradviz.core.data.session import OPTIMIZERS, Session
from gradviz.core.model.bugs import BUG_KINDS, Bug
from gradviz.core.model.network import TERMS
from gradviz.core.model.spec import DTYPES
from gradviz.core.report.table import format_report
from gradviz.resource_paths import presets_dir

DEMO_PRESET = presets_dir() / "spiral-tanh.gradviz.json"


#: exit status of `gradviz check` for each conclusion (2 is bad input)
EXIT_CODES = {"correct": 0, "bug": 1, "inconclusive": 3}
BAD_INPUT = 2
INTERNAL_ERROR = 4
#: the most iterations `gradviz train` runs
MAX_ITERATIONS = 10_000_000
#: the file name that means standard output
STDOUT = "-"


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


def _text(text: str) -> str:
    """A value that must not be empty (`--json ''` is a mistake, not "no export")."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty value is not allowed")
    return text


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
    check.add_argument("--blocks", type=_names, help="comma-separated blocks to check, e.g. W1,b1")
    check.add_argument("--examples", type=int,
                       help="exactly how many examples the check uses (at most the data set's)")
    check.add_argument("--engine", choices=ENGINES, default="auto")
    check.add_argument("--json", metavar="OUT", type=_text, help="write the report as JSON (- for stdout)")
    check.add_argument("--csv", metavar="OUT", type=_text,
                       help="write the per-component report as CSV (- for stdout)")
    sanity = sub.add_parser("sanity", help="sanity checks before training (initial loss, λ, overfit)")
    _session_options(sanity)
    sweep = sub.add_parser("sweep", help="error against epsilon for a block or one component")
    _session_options(sweep)
    sweep.add_argument("--block", type=_text, default="W1", help="the parameter block, e.g. W2")
    sweep.add_argument("--index", type=_index, help="one component, e.g. 3,1 (default: the block)")
    sweep.add_argument("--dtypes", type=_names, default="float64,float32")
    sweep.add_argument("--methods", type=_names, default="centered,forward")
    sweep.add_argument("--json", metavar="OUT", type=_text, help="write the curves as JSON (- for stdout)")
    train = sub.add_parser("train", help="train and gradient-check at chosen iterations")
    _session_options(train)
    train.add_argument("--iterations", type=_iteration_count, default=500)
    train.add_argument("--check-at", type=_iterations, default=(0, 100, 500), metavar="I,J,...")
    train.add_argument("--lr", type=float)
    train.add_argument("--optimizer", choices=OPTIMIZERS)
    sub.add_parser("bench", help="measure the fast check against the reference loop (gradviz bench --help)",
                   add_help=False)
    return parser


def _session_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("spec", nargs="?", type=_text, default=str(DEMO_PRESET),
                        help="a .gradviz.json session or a bare network spec (default: the demo)")
    parser.add_argument("--data", type=_text,
                        help="a .csv or .npz file of examples (one per row, label last)")
    parser.add_argument("--dtype", choices=DTYPES)
    parser.add_argument("--bug", type=_bug, action="append", metavar="KIND:LAYER",
                        help="plant a bug in backprop; repeat to plant several")


def _names(text: str) -> str:
    """Comma-separated names, none of them empty."""
    if not all(part.strip() for part in text.split(",")):
        raise argparse.ArgumentTypeError(f"expected names separated by commas; got {text!r}")
    return text


def _integers(text: str, low: int | None = None) -> tuple[int, ...]:
    try:
        values = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected whole numbers separated by commas; got {text!r}"
        ) from None
    if low is not None and min(values) < low:
        raise argparse.ArgumentTypeError(f"expected whole numbers >= {low}; got {text!r}")
    return values


def _index(text: str) -> tuple[int, ...]:
    return _integers(text, low=0)


def _iterations(text: str) -> tuple[int, ...]:
    return _integers(text, low=0)


def _iteration_count(text: str) -> int:
    (count,) = _integers(text, low=0) if "," not in text else (-1,)
    if not 0 <= count <= MAX_ITERATIONS:
        raise argparse.ArgumentTypeError(f"expected a whole number from 0 to {MAX_ITERATIONS:,}; "
                                         f"got {text!r}")
    return count


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
    session = Session.from_dict(data)
    if getattr(args, "examples", None) is not None:
        from gradviz.core.data.problem import require_examples

        require_examples(session, args.examples, data_path=args.data)
    return session


def _write(args: argparse.Namespace, target: str, text: str) -> None:
    """Write an export to a file, or to stdout for "-"."""
    if target == STDOUT:
        args.stdout.write(text if text.endswith("\n") else text + "\n")
        args.stdout.flush()
    else:
        Path(target).write_text(text, encoding="utf-8", newline="")


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
        _write(args, args.json, report.to_json(indent=2))
    if args.csv:
        _write(args, args.csv, report.to_csv())
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
        _write(args, args.json, json.dumps(sweep.to_dict(), indent=2))
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
    """Run the command line; returns the exit status (see the module docstring)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]
    try:
        return _run(argv)
    except BadInput as exc:
        return _fail(f"gradviz: error: {exc}", BAD_INPUT)
    except UserCodeError as exc:  # the user's own traceback (their frames, file:line) is the message
        return _fail(f"gradviz: error: {exc}", BAD_INPUT, debug)
    except (ValueError, OSError) as exc:
        return _fail(f"gradviz: error: {_one_line(exc)}", BAD_INPUT, debug)
    except MemoryError:
        return _fail("gradviz: error: not enough memory for this input: use a smaller network or "
                     "fewer examples", BAD_INPUT, debug)
    except KeyboardInterrupt:
        return _fail("gradviz: interrupted", 130)
    except Exception as exc:  # a bug in gradviz: one line, the traceback only on request
        where = "" if debug else " (run again with --debug for the traceback)"
        return _fail(f"gradviz: internal error: {type(exc).__name__}: {_one_line(exc)}{where}",
                     INTERNAL_ERROR, debug)


def _run(argv: list[str]) -> int:
    if not argv:
        return _open_app([])
    if argv[0] == "--version":
        from gradviz import __version__

        print(f"gradviz {__version__}")
        return 0
    if argv[0] == "bench":
        from gradviz.bench.fastcheck import main as bench_main

        try:
            return bench_main(argv[1:])
        except SystemExit as exit_:  # its --help, or its one-line refusal
            return exit_.code if isinstance(exit_.code, int) else BAD_INPUT
    if argv[0] not in COMMANDS and not argv[0].startswith("-"):
        return _open_file(argv)
    args = build_parser().parse_args(argv)
    if args.command not in COMMANDS:
        build_parser().print_help()
        return BAD_INPUT
    targets = [getattr(args, k, None) for k in ("json", "csv")]
    if targets.count(STDOUT) > 1:
        raise BadInput("only one of --json and --csv can write to stdout (-)")
    args.stdout = sys.stdout
    if STDOUT in targets:  # stdout carries the export alone; the table goes to stderr
        with contextlib.redirect_stdout(sys.stderr):
            return COMMANDS[args.command](args)
    return COMMANDS[args.command](args)


def _open_file(argv: list[str]) -> int:
    """`gradviz FILE`: the app, opened on a session or model file."""
    if len(argv) > 1:
        raise BadInput(f"gradviz FILE takes one file; got {len(argv)} arguments "
                       f"(commands: {', '.join([*COMMANDS, 'bench'])})")
    path = Path(argv[0])
    if not path.is_file():
        raise BadInput(f"{argv[0]!r} is neither a command ({', '.join([*COMMANDS, 'bench'])}) "
                       "nor a session or model file")
    return _open_app([str(path)])


def _open_app(paths: list[str]) -> int:
    from gradviz.ui.app import main as app_main

    return app_main(paths)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 400 else text[:397] + "..."


def _fail(message: str, code: int, debug: bool = False) -> int:
    if debug:
        traceback.print_exc(file=sys.stderr)
    print(message, file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
