"""What the network decides over the plane of the data: a 2-D view of the inputs (the inputs
themselves, or their first two principal components) and the predicted class on a grid over it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradviz.core.model.network import Network

#: multiply-adds one decision grid may cost (grid points × weights): keeps a redraw cheap
GRID_BUDGET = 2e7
MIN_RESOLUTION, MAX_RESOLUTION = 24, 120


@dataclass(frozen=True)
class Plane:
    """A plane through the input space: x = mean + axes @ p for p in R².

    mean (n0, 1), axes (n0, 2) with orthonormal columns; ``explained`` is the share of the data's
    variance that lies in the plane (1 for 2-D inputs)."""

    mean: np.ndarray
    axes: np.ndarray
    explained: float

    @property
    def is_projection(self) -> bool:
        """Whether the inputs have more than 2 dimensions (the plane shows a projection)."""
        return self.axes.shape[0] > 2

    def project(self, X: np.ndarray) -> np.ndarray:
        """(2, m) coordinates in the plane of the examples X (n0, m)."""
        return self.axes.T @ (np.asarray(X, dtype=np.float64) - self.mean)

    def lift(self, P: np.ndarray) -> np.ndarray:
        """(n0, k) inputs at the plane coordinates P (2, k)."""
        return self.mean + self.axes @ P


def data_plane(X: np.ndarray) -> Plane:
    """The plane to draw X (n0, m) in: the inputs' own axes when n0 <= 2 (a single feature is
    drawn against 0), else the first two principal components through the mean."""
    X = np.asarray(X, dtype=np.float64)
    n0 = X.shape[0]
    if n0 <= 2:
        return Plane(np.zeros((n0, 1)), np.eye(n0, 2), 1.0)
    mean = X.mean(axis=1, keepdims=True)
    u, s, _ = np.linalg.svd(X - mean, full_matrices=False)
    variance = s * s
    total = float(variance.sum())
    explained = float(variance[:2].sum() / total) if total > 0 else 1.0
    return Plane(mean, u[:, :2], explained)


def grid_resolution(net: Network) -> int:
    """Grid points per side so that one decision grid stays within GRID_BUDGET."""
    side = int(np.sqrt(GRID_BUDGET / max(net.spec.n_params, 1)))
    return int(np.clip(side, MIN_RESOLUTION, MAX_RESOLUTION))


def decision_grid(
    net: Network, plane: Plane, x_range: tuple[float, float], y_range: tuple[float, float],
    resolution: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The predicted class and its confidence on a resolution × resolution grid over the plane.

    Returns (classes (res, res) int, confidence (res, res) in [0, 1]); row i is the i-th y value
    from y_range[0] up, column j the j-th x value. Confidence is the softmax probability of the
    predicted class (softmax_ce), the sigmoid's distance from ½ scaled to [0, 1] (bce), else 1."""
    xs = np.linspace(*x_range, resolution)
    ys = np.linspace(*y_range, resolution)
    gx, gy = np.meshgrid(xs, ys)
    inputs = plane.lift(np.stack([gx.ravel(), gy.ravel()]))
    with np.errstate(all="ignore"):
        scores = np.asarray(net.scores(inputs), dtype=np.float64)
    loss = net.spec.loss
    if loss == "bce":
        p = scores[0]
        classes = (p > 0.5).astype(np.intp)
        confidence = np.abs(2 * p - 1)
    else:
        classes = np.argmax(scores, axis=0)
        if loss == "softmax_ce":
            shifted = scores - scores.max(axis=0)
            probs = np.exp(shifted)
            confidence = 1.0 / probs.sum(axis=0)
        else:
            confidence = np.ones(classes.shape)
    confidence = np.nan_to_num(confidence, nan=0.0)
    return classes.reshape(gx.shape), confidence.reshape(gx.shape)
