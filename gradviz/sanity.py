"""`gradviz.sanity`: the sanity checks before training (see gradviz.core.sanity)."""

from gradviz.core.sanity import (
    SanityResult,
    expected_initial_loss,
    initial_loss_check,
    overfit_check,
    regularization_check,
    run_sanity_checks,
)

__all__ = [
    "SanityResult",
    "expected_initial_loss",
    "initial_loss_check",
    "overfit_check",
    "regularization_check",
    "run_sanity_checks",
]
