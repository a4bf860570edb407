"""A two-layer model with its backprop written out (db1 doubled when buggy), for the tests of
gradviz.testing; its source is also copied into the user suites that pytester runs."""

import numpy as np


class TwoLayer:
    """tanh hidden layer, linear output, squared error; db1 doubled when buggy."""

    def __init__(self, buggy=False):
        rng = np.random.default_rng(0)
        self.params = {"W1": rng.standard_normal((4, 3)), "b1": rng.standard_normal((4, 1)),
                       "W2": rng.standard_normal((2, 4)), "b2": rng.standard_normal((2, 1))}
        self.buggy = buggy

    def loss(self, X, y):
        p, m = self.params, X.shape[1]
        A1 = np.tanh(p["W1"] @ X + p["b1"])
        Z2 = p["W2"] @ A1 + p["b2"]
        J = 0.5 * np.sum((Z2 - y) ** 2) / m
        dZ2 = (Z2 - y) / m
        dZ1 = (p["W2"].T @ dZ2) * (1 - A1 ** 2)
        db1 = dZ1.sum(axis=1, keepdims=True) * (2.0 if self.buggy else 1.0)
        return J, {"W1": dZ1 @ X.T, "b1": db1, "W2": dZ2 @ A1.T, "b2": dZ2.sum(axis=1, keepdims=True)}


def data():
    rng = np.random.default_rng(1)
    return rng.standard_normal((3, 5)), rng.standard_normal((2, 5))
