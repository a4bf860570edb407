"""User models for the parallel check's tests, defined at module top level so worker processes
can import them: variants of the benchmark's CS231n-style TwoLayerNet (X (N, D), W1 (D, H), b1 (H,),
loss(X, y) -> (loss, grads))."""

from __future__ import annotations

import os

import numpy as np
from threadpoolctl import threadpool_info

from gradviz.bench import user


class TwoLayerNet(user.TwoLayerNet):
    """The benchmark's user model, small by default."""

    def __init__(self, D=5, H=6, C=3, reg=0.05, seed=0):
        super().__init__(D, H, C, reg=reg, seed=seed)


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
    """Appends a line with its process id to ``counter`` (a file path) per loss evaluation."""

    def __init__(self, counter, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.counter = str(counter)

    def loss(self, X, y):
        fd = os.open(self.counter, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        try:
            os.write(fd, f"{os.getpid()}\n".encode())
        finally:
            os.close(fd)
        return super().loss(X, y)


class WantsOneBlasThread(TwoLayerNet):
    """Raises in any process but the one that made it when numpy's BLAS may use several threads."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.home = os.getpid()

    def loss(self, X, y):
        if os.getpid() != self.home:
            threads = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
            if threads != [1]:
                raise AssertionError(f"BLAS threads in a worker: {threads}")
        return super().loss(X, y)


class WantsFreedMemoryKept(TwoLayerNet):
    """Raises in any process but the one that made it when glibc still trims freed memory at once."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.home = os.getpid()

    def loss(self, X, y):
        from gradviz.core.check import parallel

        if os.getpid() != self.home and not parallel._memory_kept:
            raise AssertionError("a worker returns freed memory to the system at each free")
        return super().loss(X, y)


def data(D=5, C=3, N=8, seed=1):
    """Seeded inputs X (N, D) and labels y (N,)."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((N, D)), rng.integers(0, C, N)
