"""Losses on the last layer's output a[L] (shape (n[L], m)).

Each returns ``(J, dA, switches)``: J is the mean over the m examples; dA is the gradient of
the *sum* of per-example losses (the affine backward divides by m, as in the course);
switches is the hinge on/off pattern for the SVM (a kink), else None.
All of them also run on complex arrays (comparisons use ``.real``).
"""

from __future__ import annotations

import numpy as np

from gradviz.core.model.layers import sigmoid


def softmax_ce(scores: np.ndarray, y: np.ndarray) -> tuple[complex, np.ndarray, None]:
    """J = mean(-log softmax(scores)[y]); y: int labels, shape (m,)."""
    m = scores.shape[1]
    cols = np.arange(m)
    shifted = scores - scores.real.max(axis=0, keepdims=True)
    exp = np.exp(shifted)
    total = exp.sum(axis=0, keepdims=True)
    log_probs = shifted - np.log(total)
    J = -log_probs[y, cols].sum() / m
    dscores = exp / total
    dscores[y, cols] -= 1
    return J, dscores, None


def svm(scores: np.ndarray, y: np.ndarray) -> tuple[complex, np.ndarray, np.ndarray]:
    """Multiclass hinge, margin 1: J = mean(sum_{j != y} max(0, s_j - s_y + 1))."""
    m = scores.shape[1]
    cols = np.arange(m)
    margins = scores - scores[y, cols] + 1
    active = margins.real > 0
    active[y, cols] = False
    J = np.where(active, margins, 0).sum() / m
    dscores = active.astype(scores.real.dtype)
    dscores[y, cols] = -active.sum(axis=0)
    return J, dscores, active


def bce(a: np.ndarray, y: np.ndarray, logits: np.ndarray | None = None) -> tuple[complex, np.ndarray, None]:
    """J = -mean(y log a + (1 - y) log(1 - a)); a = sigmoid output and y in {0, 1}, shape (1, m).

    With the sigmoid's input ``logits`` the logs are computed as -softplus(∓z), which stays
    finite where a rounds to 0 or 1.
    """
    m = a.shape[1]
    if logits is None:
        log_a, log_1ma, one_minus_a = np.log(a), np.log(1 - a), 1 - a
    else:
        log_a, log_1ma = -_softplus(-logits), -_softplus(logits)
        one_minus_a = sigmoid(-logits)
    J = -(y * log_a + (1 - y) * log_1ma).sum() / m
    with np.errstate(divide="ignore", invalid="ignore"):  # a saturated output: see bce_output_gradient
        da = (a - y) / (a * one_minus_a)
    return J, da, None


def bce_output_gradient(logits: np.ndarray, y: np.ndarray) -> np.ndarray:
    """dJ/dz of bce through the output sigmoid, per example: σ(z) − y (sum over examples), to
    full relative precision even where σ(z) rounds to 0 or 1 (then σ(z) − 1 = −σ(−z))."""
    return np.where(y == 1, -sigmoid(-logits), sigmoid(logits))


def _softplus(z: np.ndarray) -> np.ndarray:
    """log(1 + e^z) without overflow; complex-safe (branches on the real part)."""
    positive = z.real > 0
    safe = np.where(positive, -z, z)
    return np.where(positive, z, 0) + np.log1p(np.exp(safe))


def mse(a: np.ndarray, y: np.ndarray) -> tuple[complex, np.ndarray, None]:
    """J = 1/(2m) sum ||a - y||^2; y shape (n[L], m)."""
    m = a.shape[1]
    diff = a - y
    return (diff * diff).sum() / (2 * m), diff, None


LOSS_FUNCTIONS = {"softmax_ce": softmax_ce, "svm": svm, "bce": bce, "mse": mse}
