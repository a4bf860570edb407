"""What the subcommands share: exit statuses, the bad-input error and writing an export."""

from __future__ import annotations

import argparse
from pathlib import Path

#: exit status of `gradviz check` for each conclusion (2 is bad input)
EXIT_CODES = {"correct": 0, "bug": 1, "inconclusive": 3}
BAD_INPUT = 2
INTERNAL_ERROR = 4
#: the file name that means standard output
STDOUT = "-"


class BadInput(Exception):
    """Bad command-line input: reported in one line, exit status 2."""


def write_export(args: argparse.Namespace, target: str, text: str) -> None:
    """Write an export to a file, or to stdout for "-"."""
    if target == STDOUT:
        args.stdout.write(text if text.endswith("\n") else text + "\n")
        args.stdout.flush()
    else:
        Path(target).write_text(text, encoding="utf-8", newline="")
