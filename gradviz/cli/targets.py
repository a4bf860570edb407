"""What a subcommand runs on: a session's built-in network, or the model a user's .py file gives.

Both become a ``Target`` (a model of the protocol, its examples and the check's options), so each
subcommand has one path; the few things only a built-in network has are refused for a model
file in one line naming the option.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from gradviz.core.check.modelfile import UserCodeError, load_model_file, user_code_error
from gradviz.core.data.session import Session

#: options that change the built-in network or its data, which a model file does not have
BUILT_IN_ONLY = {"bug": "--bug", "dtype": "--dtype", "data": "--data", "examples": "--examples"}
#: `gradviz check` options a model file takes as they are
MODEL_CHECK_OPTIONS = ("epsilon", "method", "sample")
NEEDS_EXAMPLES = "{what} needs X and y: return (model, X, y) from gradviz_model()"


@dataclass
class Target:
    """A model of the protocol with its examples: X, y to train on (None when a model file gave
    the model alone), X_check, y_check for the check, and gradient_check's keyword arguments.
    session is None for a model file, whose path is ``source``."""

    model: object
    X: object
    y: object
    X_check: object
    y_check: object
    check_options: dict = field(default_factory=dict)
    session: Session | None = None
    problem: object = None
    source: Path | None = None

    def require_examples(self, what: str) -> None:
        """ValueError (one line) when a model file gave no X and y."""
        if self.source is not None and self.X is None:
            raise ValueError(NEEDS_EXAMPLES.format(what=what))

    @contextmanager
    def user_code(self) -> Iterator[None]:
        """Within the block, an exception raised in the user's code becomes a UserCodeError
        (their frames, file:line), with a hint when their loss was called without examples."""
        try:
            yield
        except Exception as exc:
            error = user_code_error(exc)
            if error is None:
                raise
            if self.source is not None and self.X is None:
                error = UserCodeError(f"{error}\n(gradviz_model() returned the model alone, so its "
                                      "loss was called with X = y = None; return (model, X, y) if it "
                                      "needs examples)", error.frames, error.exception)
            raise error from None


def load_target(args: argparse.Namespace) -> Target:
    """The session (with the command line's overrides) or, for a path ending in .py, the model
    file; ValueError for options a model file cannot take, UserCodeError when its code raises."""
    if args.spec.endswith(".py"):
        return _model_file_target(args)
    from gradviz.core.data.problem import build_problem

    session = load_session(args)
    problem = build_problem(session, data_path=args.data)
    return Target(problem.net, problem.X, problem.y, problem.X_check, problem.y_check,
                  session.check.check_kwargs(), session, problem)


def _model_file_target(args: argparse.Namespace) -> Target:
    for name, flag in BUILT_IN_ONLY.items():
        if getattr(args, name, None) is not None:
            raise ValueError(f"{flag} needs the built-in gradviz network; a model file runs as "
                             "its code is written")
    dropout, terms = getattr(args, "dropout", None), getattr(args, "terms", None)
    if dropout not in (None, "off"):
        raise ValueError(f"--dropout {dropout} needs the built-in gradviz network; turn your "
                         "model's dropout off for the check (--dropout off)")
    if terms not in (None, "all"):
        raise ValueError(f"--terms {terms} needs the built-in gradviz network; a model file's "
                         "loss is checked whole (--terms all)")
    loaded = load_model_file(args.spec)
    options = {k: getattr(args, k) for k in MODEL_CHECK_OPTIONS if getattr(args, k, None) is not None}
    return Target(loaded.model, loaded.X, loaded.y, loaded.X, loaded.y, options, source=loaded.path)


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
