"""`gradviz check FILE.py`: check the model a user's file gives, with the options that apply."""

from __future__ import annotations

import argparse

from gradviz.core.check.gradcheck import gradient_check
from gradviz.core.check.modelfile import UserCodeError, load_model_file, user_code_error
from gradviz.core.report.check_report import CheckReport

#: options that change the built-in network or its data, which a model file does not have
BUILT_IN_ONLY = {"bug": "--bug", "dtype": "--dtype", "data": "--data", "examples": "--examples"}


def check_model_file(args: argparse.Namespace) -> CheckReport:
    """Load args.spec (a .py file), check its model; UserCodeError when the user's code raises."""
    for name, flag in BUILT_IN_ONLY.items():
        if getattr(args, name, None) is not None:
            raise ValueError(f"{flag} needs the built-in gradviz network; a model file is checked as "
                             "its code is written")
    if args.dropout not in (None, "off"):
        raise ValueError(f"--dropout {args.dropout} needs the built-in gradviz network; turn your "
                         "model's dropout off for the check (--dropout off)")
    if args.terms not in (None, "all"):
        raise ValueError(f"--terms {args.terms} needs the built-in gradviz network; a model file's "
                         "loss is checked whole (--terms all)")
    loaded = load_model_file(args.spec)
    options = {k: getattr(args, k) for k in ("epsilon", "method", "sample")
               if getattr(args, k) is not None}
    blocks = args.blocks.split(",") if args.blocks else None
    try:
        return gradient_check(loaded.model, loaded.X, loaded.y, blocks=blocks, engine=args.engine,
                              **options)
    except Exception as exc:
        error = user_code_error(exc)
        if error is None:
            raise
        if loaded.X is None:
            error = UserCodeError(f"{error}\n(gradviz_model() returned the model alone, so its loss "
                                  "was called with X = y = None; return (model, X, y) if it needs "
                                  "examples)", error.frames, error.exception)
        raise error from None
