"""Test helpers shared by tests/core: one rel_error, centered differences, small specs and data.

Nothing here calls gradviz's gradient check: these are the independent yardsticks.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from gradviz.core import LayerSpec, NetworkSpec


def rel_error(x: np.ndarray, y: np.ndarray) -> float:
    """max |x − y| / max(1e-8, |x| + |y|) over the elements (CS231n's yardstick)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def numeric_gradient(f: Callable[[], float], x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Centered-difference gradient of the scalar f() with respect to x (perturbed in place)."""
    grad = np.zeros_like(x, dtype=np.float64)
    for i in range(x.size):
        old = x.flat[i]
        x.flat[i] = old + h
        plus = f()
        x.flat[i] = old - h
        minus = f()
        x.flat[i] = old
        grad.flat[i] = (plus - minus) / (2 * h)
    return grad


def numeric_gradient_array(
    f: Callable[[], np.ndarray], x: np.ndarray, dout: np.ndarray, h: float = 1e-6
) -> np.ndarray:
    """Centered-difference gradient of sum(f() * dout) with respect to x."""
    return numeric_gradient(lambda: float(np.sum(f() * dout)), x, h)


def output_layer(loss: str, classes: int = 3) -> LayerSpec:
    """The last layer each loss expects (mse gets a 2-unit tanh output)."""
    if loss in ("softmax_ce", "svm"):
        return LayerSpec(classes, "linear")
    if loss == "bce":
        return LayerSpec(1, "sigmoid")
    return LayerSpec(2, "tanh")


def make_spec(
    hidden: tuple[int, ...] = (4, 4),
    activation: str = "tanh",
    loss: str = "softmax_ce",
    *,
    input_dim: int = 3,
    keep_prob: float = 1.0,
    **kwargs,
) -> NetworkSpec:
    """A small spec: hidden layers of one activation and keep_prob, then the loss's output layer."""
    layers = [LayerSpec(units, activation, keep_prob) for units in hidden]
    return NetworkSpec(input_dim, [*layers, output_layer(loss)], loss=loss, **kwargs)


def make_data(spec: NetworkSpec, m: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """X (input_dim, m) standard normal and labels/targets in the layout the spec's loss expects."""
    X = rng.standard_normal((spec.input_dim, m))
    n_out = spec.layers[-1].units
    if spec.loss in ("softmax_ce", "svm"):
        y = rng.integers(0, n_out, m)
    elif spec.loss == "bce":
        y = rng.integers(0, 2, (1, m)).astype(np.float64)
    else:
        y = rng.uniform(-0.9, 0.9, (n_out, m))
    return X, y


def snapshot(params: dict[str, np.ndarray]) -> dict[str, tuple[str, tuple[int, ...], bytes, int]]:
    """Everything that "bit for bit unchanged" means: dtype, shape, raw bytes and array identity."""
    return {k: (v.dtype.str, v.shape, v.tobytes(), id(v)) for k, v in params.items()}


def drain(run):
    """Run a check generator to its end: (the progress records it yielded, the report it returned)."""
    records = []
    try:
        while True:
            records.append(next(run))
    except StopIteration as stop:
        return records, stop.value
