"""Correct two-layer numpy models with saturated hidden units, written as users write them (CS231n
layout, X (N, D), the loss as the textbook formula), and the same models with a planted bug.

With large weights most tanh or sigmoid derivatives are about 0, and a sigmoid output near 1
makes −log(1 − σ(s)) move in steps far coarser than u·|J|: the numeric gradient of such a J is
rounding noise wherever the true one is small. ``stable_loss`` computes the same J without that
rounding (log-sigmoid through logaddexp): the independent yardstick for the gradients.

Run as a script for the false-bug rate over a range of seeds:
``PYTHONPATH=. python tests/core/saturated_models.py 0 3000``.
"""

from __future__ import annotations

import sys

import numpy as np

ACTIVATIONS = ("tanh", "sigmoid")
OUTPUTS = ("softmax", "sigmoid", "mse")
BUGS = ("double", "transpose", "reg", "bias")


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


class SaturatedNet:
    """affine → tanh or sigmoid → affine → softmax, sigmoid cross-entropy or squared error, with
    L2 0.5·reg·Σ‖W‖² and weights 3 to 30 times too large. ``bug``: dW2 doubled ("double"), dW2
    transposed ("transpose", with a square W2), dW1 without its L2 term ("reg") or db2 summed
    over all examples but the last ("bias")."""

    def __init__(self, seed: int, bug: str | None = None) -> None:
        rng = np.random.default_rng(seed)
        self.act = ACTIVATIONS[rng.integers(2)]
        self.out = OUTPUTS[rng.integers(3)]
        N, D, H = (int(v) for v in (rng.integers(2, 6), rng.integers(2, 5), rng.integers(2, 6)))
        C = 1 if self.out == "sigmoid" else int(rng.integers(2, 4))
        scale = 10 ** rng.uniform(0.5, 1.5)
        self.reg = float(rng.choice([0.0, 0.1]))
        self.params = {"W1": scale * rng.standard_normal((D, H)), "b1": scale * rng.standard_normal(H),
                       "W2": 3 * rng.standard_normal((H, C)), "b2": rng.standard_normal(C)}
        self.X = rng.standard_normal((N, D))
        if self.out == "softmax":
            self.y = rng.integers(0, C, N)
        elif self.out == "sigmoid":
            self.y = rng.integers(0, 2, (N, C)).astype(np.float64)
        else:
            self.y = rng.standard_normal((N, C))
        self.bug = bug
        if bug == "transpose":
            rng = np.random.default_rng(seed + 10**6)
            self.out = "mse"
            self.params["W2"] = 3 * rng.standard_normal((H, H))
            self.params["b2"] = rng.standard_normal(H)
            self.y = rng.standard_normal((N, H))
        if bug == "reg":
            self.reg = 0.1

    def hidden(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The hidden activations (N, H) and their derivatives."""
        z = X @ self.params["W1"] + self.params["b1"]
        if self.act == "tanh":
            a = np.tanh(z)
            return a, 1 - a * a
        a = sigmoid(z)
        return a, a * (1 - a)

    def loss(self, X, y):
        p, N = self.params, X.shape[0]
        a, da = self.hidden(X)
        s = a @ p["W2"] + p["b2"]
        if self.out == "softmax":
            shifted = s - s.max(axis=1, keepdims=True)
            prob = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
            J = -np.log(prob[np.arange(N), y]).mean()
            ds = prob.copy()
            ds[np.arange(N), y] -= 1
            ds /= N
        elif self.out == "sigmoid":
            q = sigmoid(s)
            J = -np.mean(y * np.log(q) + (1 - y) * np.log(1 - q))
            ds = (q - y) / N
        else:
            J = 0.5 * np.sum((s - y) ** 2) / N
            ds = (s - y) / N
        J += 0.5 * self.reg * (np.sum(p["W1"] ** 2) + np.sum(p["W2"] ** 2))
        dz = (ds @ p["W2"].T) * da
        grads = {"W1": X.T @ dz + self.reg * p["W1"], "b1": dz.sum(axis=0),
                 "W2": a.T @ ds + self.reg * p["W2"], "b2": ds.sum(axis=0)}
        if self.bug == "double":
            grads["W2"] = 2 * grads["W2"]
        elif self.bug == "transpose":
            grads["W2"] = grads["W2"].T.copy()
        elif self.bug == "reg":
            grads["W1"] = X.T @ dz
        elif self.bug == "bias":
            grads["b2"] = ds[:-1].sum(axis=0)
        return float(J), grads

    def stable_loss(self) -> float:
        """The same J at the current params, with log σ and log(1 − σ) through logaddexp."""
        p, X, y, N = self.params, self.X, self.y, self.X.shape[0]
        s = self.hidden(X)[0] @ p["W2"] + p["b2"]
        if self.out == "softmax":
            J = np.mean(np.logaddexp.reduce(s, axis=1) - s[np.arange(N), y])
        elif self.out == "sigmoid":
            J = np.mean(y * np.logaddexp(0, -s) + (1 - y) * np.logaddexp(0, s))
        else:
            J = 0.5 * np.sum((s - y) ** 2) / N
        return float(J + 0.5 * self.reg * (np.sum(p["W1"] ** 2) + np.sum(p["W2"] ** 2)))


def false_bugs(seeds) -> list[int]:
    """The seeds whose correct SaturatedNet gradviz concludes "bug" about."""
    from gradviz.core import gradient_check

    found = []
    for seed in seeds:
        model = SaturatedNet(seed)
        if gradient_check(model, model.X, model.y).conclusion == "bug":
            found.append(seed)
    return found


if __name__ == "__main__":
    first, last = int(sys.argv[1]), int(sys.argv[2])
    bad = false_bugs(range(first, last))
    print(f"{len(bad)} of {last - first} correct saturated models concluded 'bug' "
          f"({len(bad) / (last - first):.2%}): seeds {bad}")
