"""The `gradviz` command: no arguments opens the app, a FILE opens it on that session (or .py
model file); `check`, `sanity`, `sweep`, `train` (on a session, a network spec or a model .py
file), `bench`.

Exit status: 0 correct, 1 bug (a check or sanity check failed), 2 bad input (one line on stderr
naming the field and the allowed values), 3 inconclusive, 4 internal error (one line; the
traceback with --debug). With `--json -` or `--csv -` the export goes to stdout and the table to
stderr.
"""

from __future__ import annotations

import contextlib
import sys
import traceback
from pathlib import Path

from gradviz.cli.commands import run_check, run_sanity, run_sweep, run_train
from gradviz.cli.common import BAD_INPUT, EXIT_CODES, INTERNAL_ERROR, STDOUT, BadInput
from gradviz.cli.parser import DEMO_PRESET, MAX_ITERATIONS, build_parser
from gradviz.cli.targets import load_session
from gradviz.core.check.modelfile import UserCodeError

__all__ = ["BAD_INPUT", "COMMANDS", "DEMO_PRESET", "EXIT_CODES", "INTERNAL_ERROR", "MAX_ITERATIONS",
           "BadInput", "build_parser", "load_session", "main"]

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
