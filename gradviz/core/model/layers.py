"""Layer operations, each forward beside its backward.

Notation: A_prev has shape (n[l-1], m), W (n[l], n[l-1]), b (n[l], 1), Z and A (n[l], m).
Backward functions take upstream gradients of the *sum* of per-example losses and divide by m
where the course does (dW = dZ A_prev^T / m, db = sum(dZ) / m).
Comparisons use ``.real`` so every op also runs on complex arrays (complex-step checking).
"""

from __future__ import annotations

import numpy as np

from gradviz.core.model.spec import KINKED_ACTIVATIONS

LEAKY_SLOPE = 0.01


# -- affine ----------------------------------------------------------------------------------
def affine_forward(A_prev: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Z = W A_prev + b, shape (n[l], m)."""
    return W @ A_prev + b


def affine_backward(
    dZ: np.ndarray, A_prev: np.ndarray, W: np.ndarray, db_scale: float = 1.0,
    db_wrong_axis: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (dA_prev (n[l-1], m), dW (n[l], n[l-1]), db (n[l], 1)) for a batch of m examples.

    ``db_scale`` and ``db_wrong_axis`` exist to plant the catalogue's db bugs.
    """
    m = A_prev.shape[1]
    dW = dZ @ A_prev.T / m
    if db_wrong_axis:
        per_example = np.sum(dZ, axis=0, keepdims=True) / m  # (1, m): summed over units
        db = np.full((dZ.shape[0], 1), per_example.sum(), dtype=dZ.dtype)
    else:
        db = db_scale * np.sum(dZ, axis=1, keepdims=True) / m
    return W.T @ dZ, dW, db


# -- activations -----------------------------------------------------------------------------
def activation_forward(Z: np.ndarray, kind: str) -> np.ndarray:
    """A = g(Z) elementwise."""
    if kind == "relu":
        return np.where(Z.real > 0, Z, 0)
    if kind == "leaky_relu":
        return np.where(Z.real > 0, Z, LEAKY_SLOPE * Z)
    if kind == "tanh":
        return np.tanh(Z)
    if kind == "sigmoid":
        return sigmoid(Z)
    if kind == "linear":
        return Z
    raise ValueError(f"unknown activation {kind!r}")


def sigmoid(Z: np.ndarray) -> np.ndarray:
    """1 / (1 + e^(−Z)) without overflow: e^(−|Z|) only; complex-safe (branches on the real part,
    each branch the same analytic function)."""
    positive = Z.real >= 0
    e = np.exp(np.where(positive, -Z, Z))
    return np.where(positive, 1, e) / (1 + e)


def activation_backward(
    dA: np.ndarray, Z: np.ndarray, A: np.ndarray, kind: str, wrong: bool = False
) -> np.ndarray:
    """dZ = dA * g'(Z). With ``wrong`` the classic derivative mistakes are planted:
    tanh uses 1 - a, sigmoid uses a, relu and leaky relu invert their mask, linear uses 0."""
    if kind in KINKED_ACTIVATIONS:
        on = Z.real > 0
        if wrong:
            on = ~on
        low = 0 if kind == "relu" else LEAKY_SLOPE
        return dA * np.where(on, 1, low).astype(dA.real.dtype)
    if kind == "tanh":
        return dA * ((1 - A) if wrong else _saturating_slope(Z, A, 2.0))
    if kind == "sigmoid":
        return dA * (A if wrong else _saturating_slope(Z, A, 1.0))
    if kind == "linear":
        return dA * 0 if wrong else dA
    raise ValueError(f"unknown activation {kind!r}")


def _saturating_slope(Z: np.ndarray, A: np.ndarray, k: float) -> np.ndarray:
    """tanh' (k = 2) or sigmoid' (k = 1) at Z: k²·e/(1 + e)² with e = exp(−k|z|), accurate to a
    few units of roundoff even where the unit saturates (1 − a² from a rounded a ≈ ±1 keeps only
    u/(1 − a²) of its digits). Complex Z (complex step) keeps the textbook form in A."""
    if np.iscomplexobj(Z):
        return 1 - A * A if k == 2.0 else A * (1 - A)
    e = np.exp(-k * np.abs(Z))
    return k * k * e / ((1 + e) * (1 + e))


def activation_switches(Z: np.ndarray, kind: str) -> np.ndarray | None:
    """The on/off pattern of a kinked activation (relu, leaky relu), else None."""
    if kind in KINKED_ACTIVATIONS:
        return Z.real > 0
    return None


# -- inverted dropout ------------------------------------------------------------------------
def dropout_mask(rng: np.random.Generator, shape: tuple[int, ...], keep_prob: float) -> np.ndarray:
    """Boolean mask d = rand(shape) < keep_prob."""
    return rng.random(shape) < keep_prob


def dropout_forward(A: np.ndarray, mask: np.ndarray, keep_prob: float) -> np.ndarray:
    """Inverted dropout: A * d / keep_prob, which keeps the expected value of the next z."""
    return A * mask / np.asarray(keep_prob, dtype=A.real.dtype)


def dropout_backward(
    dA: np.ndarray, mask: np.ndarray, keep_prob: float, *,
    apply_mask: bool = True, apply_scale: bool = True,
) -> np.ndarray:
    """Gradient through inverted dropout; the flags plant the catalogue's dropout bugs."""
    out = dA * mask if apply_mask else dA
    return out / np.asarray(keep_prob, dtype=dA.real.dtype) if apply_scale else out
