"""The command line's parser: every subcommand, flag and value check (exit status 2 when wrong)."""

from __future__ import annotations

import argparse

from gradviz.cli.common import BadInput
from gradviz.core.check.gradcheck import ENGINES, METHODS
from gradviz.core.check.objective import DROPOUT_MODES
from gradviz.core.data.session import OPTIMIZERS
from gradviz.core.model.bugs import BUG_KINDS, Bug
from gradviz.core.model.network import TERMS
from gradviz.core.model.spec import DTYPES
from gradviz.resource_paths import presets_dir

DEMO_PRESET = presets_dir() / "spiral-tanh.gradviz.json"
#: the most iterations `gradviz train` runs
MAX_ITERATIONS = 10_000_000


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
    check.add_argument("--workers", type=_workers,
                       help="processes for the reference loop: a whole number or auto (every core); "
                            "the numbers do not depend on it")
    check.add_argument("--json", metavar="OUT", type=_text, help="write the report as JSON (- for stdout)")
    check.add_argument("--csv", metavar="OUT", type=_text,
                       help="write the per-component report as CSV (- for stdout)")
    sanity = sub.add_parser("sanity", help="sanity checks before training (initial loss, λ, overfit; a "
                            "model file: overfit)")
    _session_options(sanity)
    sweep = sub.add_parser("sweep", help="error against epsilon for a block or one component")
    _session_options(sweep)
    sweep.add_argument("--block", type=_text, help="the parameter block, e.g. W2 (default: the first)")
    sweep.add_argument("--index", type=_index, help="one component, e.g. 3,1 (default: the block)")
    sweep.add_argument("--dtypes", type=_names,
                       help="default: float64,float32; a model file: its own dtype")
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
                        help="a .gradviz.json session, a bare network spec or a model .py file "
                             "(default: the demo)")
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


def _workers(text: str) -> int | str:
    if text == "auto":
        return text
    count = int(text) if text.strip().isdigit() else 0
    if count < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1 or auto; got {text!r}")
    return count


def _iteration_count(text: str) -> int:
    (count,) = _integers(text, low=0) if "," not in text else (-1,)
    if not 0 <= count <= MAX_ITERATIONS:
        raise argparse.ArgumentTypeError(f"expected a whole number from 0 to {MAX_ITERATIONS:,}; "
                                         f"got {text!r}")
    return count
