"""User models for the parallel check's tests, defined at module top level so worker processes
can import them (CS231n style: X (N, D), W1 (D, H), b1 (H,), loss(X, y) -> (loss, grads))."""

from __future__ import annotations

import os

import numpy as np


class TwoLayerNet:
    """affine - relu - affine - softmax with L2 0.5·reg·Σ‖W‖²."""

    def __init__(self, D=5, H=6, C=3, reg=0.05, seed=0):
        rng = np.random.default_rng(seed)
        self.params = {
            "W1": rng.standard_normal((D, H)) / np.sqrt(D), "b1": 0.1 * rng.standard_normal(H),
            "W2": rng.standard_normal((H, C)) / np.sqrt(H), "b2": 0.1 * rng.standard_normal(C),
        }
        self.reg = reg

    def loss(self, X, y):
        W1, b1, W2, b2 = (self.params[k] for k in ("W1", "b1", "W2", "b2"))
        z = X @ W1 + b1
        h = np.maximum(0, z)
        scores = h @ W2 + b2
        shifted = scores - scores.max(axis=1, keepdims=True)
        probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
        N = X.shape[0]
        loss = -np.log(probs[np.arange(N), y]).mean() + 0.5 * self.reg * (np.sum(W1**2) + np.sum(W2**2))
        dscores = probs.copy()
        dscores[np.arange(N), y] -= 1
        dscores /= N
        dh = dscores @ W2.T * (z > 0)
        grads = {"W1": X.T @ dh + self.reg * W1, "b1": dh.sum(axis=0),
                 "W2": h.T @ dscores + self.reg * W2, "b2": dscores.sum(axis=0)}
        return loss, grads


class WrongBias(TwoLayerNet):
    """Backprop of b2 off by a factor 2: a bug the check must find in b2 only."""

    def loss(self, X, y):
        loss, grads = super().loss(X, y)
        return loss, {**grads, "b2": 2 * grads["b2"]}


class RaisesWhenMoved(TwoLayerNet):
    """Raises the user's own error as soon as W2[1, 2] is moved away from its value."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.watched = float(self.params["W2"][1, 2])

    def loss(self, X, y):
        if self.params["W2"][1, 2] != self.watched:
            raise FloatingPointError("W2[1, 2] left the range this layer supports (pretend)")
        return super().loss(X, y)


class CountingNet(TwoLayerNet):
    """Appends one byte to ``counter`` (a file path) per loss evaluation, in any process."""

    def __init__(self, counter, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.counter = str(counter)

    def loss(self, X, y):
        fd = os.open(self.counter, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        try:
            os.write(fd, b".")
        finally:
            os.close(fd)
        return super().loss(X, y)


def data(D=5, C=3, N=8, seed=1):
    """Seeded inputs X (N, D) and labels y (N,)."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((N, D)), rng.integers(0, C, N)
