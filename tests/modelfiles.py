"""Model files for tests: a CS231n-style project (a ``cs231n`` package of layers beside
``model.py``, whose ``gradviz_model()`` returns a two-layer net and its examples)."""

from __future__ import annotations

from pathlib import Path

LAYERS = '''import numpy as np


def affine_forward(x, w, b):
    return x @ w + b, (x, w)


def affine_backward(dout, cache):
    x, w = cache
    return dout @ w.T, x.T @ dout, {DB_FACTOR} * dout.sum(axis=0)


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    return dout * (cache > 0)
'''

MODEL = '''import numpy as np

from cs231n.layers import affine_backward, affine_forward, relu_backward, relu_forward


class TwoLayerNet:
    def __init__(self):
        rng = np.random.default_rng(0)
        self.params = {"W1": rng.standard_normal((4, 6)) / 2, "b1": 0.1 * rng.standard_normal(6),
                       "W2": rng.standard_normal((6, 3)) / 2, "b2": 0.1 * rng.standard_normal(3)}

    def loss(self, X, y):
        p = self.params
        h, c1 = affine_forward(X, p["W1"], p["b1"])
        a, c2 = relu_forward(h)
        scores, c3 = affine_forward(a, p["W2"], p["b2"])
        shifted = scores - scores.max(axis=1, keepdims=True)
        probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
        N = X.shape[0]
        loss = -np.log(probs[np.arange(N), y]).mean()
        dscores = probs.copy()
        dscores[np.arange(N), y] -= 1
        da, dW2, db2 = affine_backward(dscores / N, c3)
        _, dW1, db1 = affine_backward(relu_backward(da, c2), c1)
        return loss, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def gradviz_model():
    rng = np.random.default_rng(1)
    return TwoLayerNet(), rng.standard_normal((5, 4)), rng.integers(0, 3, 5)
'''


def write_project(folder: Path, *, db_factor: str = "1.0", model: str = MODEL) -> Path:
    """Write cs231n/layers.py (db scaled by ``db_factor``) and model.py; return model.py's path."""
    package = folder / "cs231n"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "layers.py").write_text(LAYERS.replace("{DB_FACTOR}", db_factor), encoding="utf-8")
    path = folder / "model.py"
    path.write_text(model, encoding="utf-8")
    return path
