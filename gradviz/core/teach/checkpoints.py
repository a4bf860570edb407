"""Gradient checks during training: at random initialization and at chosen iterations.

A bug can hide while the weights are near their initial values (a missing (λ/m)·W is tiny when
W is) and show once they move, or the other way round; a timeline of checkpoints shows both.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

from gradviz.core.check.gradcheck import gradient_check
from gradviz.core.report.check_report import CheckReport


@dataclass
class Checkpoint:
    """The check at one iteration, with θ where it ran; unpacks as the pair (iteration, report).

    params: copies of the network's blocks at the checkpoint. loss and update_ratio
    (‖update‖ / ‖param‖ per block) come from the step that reached it (None and {} before any).
    """

    iteration: int
    report: CheckReport
    params: dict[str, np.ndarray]
    epoch: int = 0
    loss: float | None = None
    update_ratio: dict[str, float] = field(default_factory=dict)

    def __iter__(self) -> Iterator:
        return iter((self.iteration, self.report))

    def __len__(self) -> int:
        return 2

    def __getitem__(self, i: int):
        return (self.iteration, self.report)[i]


def iter_check_during_training(
    trainer, at: Iterable[int] = (0, 100, 500), *, X=None, y=None, **check_options
) -> Iterator[Checkpoint]:
    """Train ``trainer`` up to each iteration in ``at`` and check there; yield each Checkpoint.

    at: iteration counts from the start (0: before any step), none below trainer.iteration.
    X, y: the examples to check on (default: the trainer's training set; a few are enough).
    check_options go to ``gradient_check``. Ends early, with the checkpoints so far, when
    training stops (``trainer.stop_reason``) before the next iteration is reached.
    """
    targets = _targets(at, trainer.iteration)
    try:  # refuse unknown options before any training
        inspect.signature(gradient_check).bind(trainer.net, None, None, **check_options)
    except TypeError as exc:
        raise ValueError(f"check options: {exc}") from None
    if (X is None) != (y is None):
        raise ValueError("give both X and y for the check, or neither (the training set)")
    X, y = (trainer.X, trainer.y) if X is None else (X, y)
    for target in targets:
        records = list(trainer.steps(target - trainer.iteration))
        record = records[-1] if records else None
        if trainer.iteration < target:
            return
        report = gradient_check(trainer.net, X, y, **check_options)
        yield Checkpoint(
            trainer.iteration, report, {k: v.copy() for k, v in trainer.net.params.items()},
            epoch=trainer.epoch,
            loss=None if record is None else record.loss,
            update_ratio={} if record is None else dict(record.update_ratio),
        )


def check_during_training(
    trainer, at: Iterable[int] = (0, 100, 500), *, X=None, y=None, **check_options
) -> list[Checkpoint]:
    """[(iteration, CheckReport), ...] as Checkpoints; see ``iter_check_during_training``."""
    return list(iter_check_during_training(trainer, at, X=X, y=y, **check_options))


def _targets(at: Iterable[int], current: int) -> list[int]:
    try:
        values = list(at)
    except TypeError:
        raise ValueError(f"at must be a list of iteration counts; got {at!r}") from None
    if not values or any(isinstance(v, bool) or not isinstance(v, int | np.integer) for v in values):
        raise ValueError(f"at must hold whole numbers of iterations (0: before training); got {at!r}")
    if min(values) < current:
        raise ValueError(f"at must not go below the trainer's current iteration {current}; got {at!r}")
    return sorted({int(v) for v in values})
