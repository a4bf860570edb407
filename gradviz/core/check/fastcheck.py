"""The fast gradient check for the built-in Network: many perturbed losses per batch, exactly.

Perturbing W[l][r, c] (or b[l][r]) by d leaves the layers before l unchanged, changes only row r
of z[l] (by d·a[l-1][c, :]) and reaches z[l+1] as the rank-1 update W[l+1][:, r] ⊗ Δa[l][r, :].
``FastEvaluator`` starts every perturbed forward pass from the cached activations and follows
the change stage by stage with the exact formulas of ``deltas``:

1. row r of layer l: elementwise, E×m values for E evaluations of m examples;
2. layer l+1: g(z + w u) − g(z) with u = Δa[l][r, :] is a polynomial in u (Taylor with a
   remainder below rounding; exact for piecewise-linear g between kinks), so the next weight
   matrix is applied once per row r to its coefficients, not once per evaluation. Evaluations
   whose step is too large for the polynomial, or that cross a ReLU kink, go elementwise;
3. later layers: one GEMM per chunk and elementwise activation changes;
4. the loss change per example, then J(θ + d) = J(θ) + ΔJ in the network's dtype.

Each evaluation perturbs θ_i by d = fl(θ_i + δ) − θ_i, formed in the dtype exactly as
``NetworkObjective.value`` does, and kinks are decided as there.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from gradviz.core.check.deltas import (
    MAX_DEGREE,
    LossChange,
    activation_change,
    relu_interval,
    taylor_coefficients,
    taylor_degrees,
    unit_roundoff,
)
from gradviz.core.model import layers as ops
from gradviz.core.model.network import Network
from gradviz.core.model.spec import KINKED_ACTIVATIONS

#: elements (evaluations × examples × units) of the widest array a chunk materializes
CHUNK_ELEMENTS = 1 << 17
#: relative margin kept from a ReLU kink before an evaluation is trusted to the polynomial
KINK_MARGIN = 1e-9
#: the fast engine and the reference loop agree within ROUNDING_FACTOR·u·max(|J|, loss_scale)/ε
ROUNDING_FACTOR = 50
#: an output sigmoid closer than SATURATION·u to 0 or 1 sends a bce check to the reference loop
SATURATION = 1e4
STEPS = {
    "centered": lambda e: [e, -e],
    "forward": lambda e: [e],
    "complex": lambda e: [complex(0.0, e)],
    "richardson": lambda e: [e, -e, e / 2, -e / 2],
}


def fast_unavailable(model, dropout: str) -> str | None:
    """Why the fast engine cannot serve this check (a sentence), or None when it can."""
    if not isinstance(model, Network):
        return "the fast engine needs the built-in gradviz Network"
    if type(model).evaluate is not Network.evaluate:
        return f"{type(model).__name__} overrides Network.evaluate, which the fast engine cannot follow"
    if dropout == "resample":
        return "dropout 'resample' draws a new mask for every evaluation, which the fast engine " \
               "cannot batch"
    return None


def fast_unavailable_at(objective) -> str | None:
    """Why the fast engine cannot serve this objective at its θ (a sentence), or None.

    The bce change is computed from the output's change Δa over 1 − a (or a); where the output
    sigmoid is within SATURATION·u of 0 or 1, that ratio loses the digits the check needs.
    """
    if objective.net.spec.loss != "bce" or objective.terms == "reg":
        return None
    evaluator = evaluator_for(objective)
    a = evaluator.a[evaluator.L]
    closest = float(np.minimum(a, 1 - a).min())
    if closest < SATURATION * evaluator.u:
        return (f"the output sigmoid saturates ({closest:.1e} from 0 or 1 in {objective.dtype}), where "
                "the fast engine's bce change loses precision")
    return None


def rounding_bound(dtype, loss: float, epsilon: float, loss_scale: float = 1.0) -> float:
    """How far the fast engine's numeric gradient may be from the reference loop's:
    ROUNDING_FACTOR·u·max(|J|, loss_scale)/ε. The floor (a loss of 1 times loss_scale, the size of
    the terms a loss sums: softmax's 1 + Σ e^(a−max), svm's margin 1) keeps the bound meaningful
    when J rounds to 0."""
    return ROUNDING_FACTOR * unit_roundoff(dtype) * max(abs(loss), abs(loss_scale)) / epsilon


class FastEvaluator:
    """J at many perturbed θ at once, for a NetworkObjective (dropout off or frozen)."""

    def __init__(self, objective) -> None:
        net = objective.net
        self.spec, self.params = net.spec, objective.params
        self.sizes = self.spec.sizes
        self.terms, self.loss_scale, self.J0_float = objective.terms, objective.loss_scale, objective.J0
        self.dtype = self.params["W1"].dtype
        self.u = unit_roundoff(self.dtype)
        self.kinds = [layer.activation for layer in self.spec.layers]
        self.L, self.m = len(self.kinds), objective.X.shape[1]
        masks = objective.masks or {}
        # the cached forward pass, by the same ops as Network.evaluate; transposed to (m, n)
        self.z, self.a, self.inp, self.scale = {}, {}, {}, {}
        A = objective.X.astype(self.dtype, copy=False)
        for l, layer in enumerate(self.spec.layers, start=1):
            self.inp[l] = np.ascontiguousarray(A.T)
            Z = ops.affine_forward(A, self.params[f"W{l}"], self.params[f"b{l}"])
            A = ops.activation_forward(Z, layer.activation)
            self.z[l], self.a[l] = np.ascontiguousarray(Z.T), np.ascontiguousarray(A.T)
            if l in masks:
                self.scale[l] = np.ascontiguousarray(
                    (masks[l] / np.asarray(layer.keep_prob, dtype=self.dtype)).T.astype(self.dtype))
                A = ops.dropout_forward(A, masks[l], layer.keep_prob)
        base = net.evaluate(objective.X, objective.y, params=self.params, masks=objective.masks,
                            terms=self.terms, backprop=False)
        self.J0 = np.asarray(base.J)
        self.loss = None if self.terms == "reg" else LossChange(self.spec.loss, self.a[self.L],
                                                                objective.y)
        kinked = any(k in KINKED_ACTIVATIONS for k in self.kinds)
        self.forward_needed = self.loss is not None or kinked
        self._coefficients = {}

    # -- public -----------------------------------------------------------------------------
    def chunk_size(self, name: str, n_steps: int) -> int:
        """Components per chunk so that no array a chunk materializes exceeds CHUNK_ELEMENTS."""
        l = int(name[1:])
        sizes = self.sizes
        widest = max(*sizes[min(l + 2, self.L) : self.L + 1], sizes[-1])
        size = max(1, CHUNK_ELEMENTS // (self.m * widest * n_steps))
        row = self.params[name].shape[1]
        if size >= row:  # whole rows of W, or equal parts of one row: one segment per row
            return size // row * row
        return -(-row // -(-row // size))

    def values(self, name: str, flat: np.ndarray, steps: list) -> tuple[np.ndarray, np.ndarray]:
        """(J·loss_scale (S, C) in the dtype, kink (S, C)) with θ[name].flat[flat[i]] += steps[s]."""
        flat = np.asarray(flat)
        order = np.argsort(flat, kind="stable")
        flat = flat[order]
        block = self.params[name]
        ptype = np.result_type(self.dtype, np.complex64) if isinstance(steps[0], complex) else self.dtype
        theta = block.reshape(-1)[flat].astype(ptype)
        step = np.array([np.asarray(s).astype(ptype) for s in steps])
        S = len(steps)
        # evaluation e = c·S + s: rows stay sorted
        theta_all = np.repeat(theta, S)
        moved = (theta[:, None] + step[None, :]).reshape(-1)
        d = moved - theta_all
        l, is_W = int(name[1:]), name[0] == "W"
        rows = np.repeat(flat // block.shape[1] if is_W else flat, S)
        cols = np.repeat(flat % block.shape[1], S) if is_W else None
        dJ, kink = self._data_change(l, rows, cols, d)
        if is_W and self.terms != "data":
            m, spec = self.m, self.spec
            if spec.l2:
                dJ = dJ + spec.l2 / (2 * m) * (d * (theta_all + moved))
            if spec.l1:
                dJ = dJ + spec.l1 / (2 * m) * (np.abs(moved) - np.abs(theta_all))
                kink |= np.sign(theta_all.real) != np.sign(moved.real)
        J = ((self.J0 + dJ) * self.loss_scale).reshape(-1, S).T
        kink = kink.reshape(-1, S).T
        back = np.empty_like(order)
        back[order] = np.arange(order.size)
        return J[:, back], kink[:, back]

    # -- the stages (batches are (m, n, E): examples, units, evaluations) ----------------------
    def _data_change(self, l, rows, cols, d) -> tuple[np.ndarray, np.ndarray]:
        """ΔJ of the data term (E,) and kink (E,) for evaluations perturbing row rows[e] of layer l."""
        E, m, L = d.shape[0], self.m, self.L
        kink = np.zeros(E, dtype=bool)
        if not self.forward_needed:
            return np.zeros(E, dtype=d.dtype), kink
        dz = d * self.inp[l][:, cols] if cols is not None else np.broadcast_to(d, (m, E))
        da, flips = activation_change(self.kinds[l - 1], self.z[l][:, rows], self.a[l][:, rows],
                                      dz, self.u)
        if flips is not None:
            kink |= flips.any(axis=0)
        if l in self.scale:
            da = da * self.scale[l][:, rows]
        if l == L:
            out = np.zeros((m, self.sizes[-1], E), dtype=da.dtype)
            out[:, rows, np.arange(E)] = da
            first, big = L + 1, None
        else:
            out, first, big = self._rank_one_layer(l + 1, rows, da, kink)
        for k in range(first, L + 1):  # out holds Δz[k]
            out, flips = activation_change(self.kinds[k - 1], self.z[k][:, :, None],
                                           self.a[k][:, :, None], out, self.u)
            if flips is not None:
                kink |= flips.any(axis=(0, 1))
            if k in self.scale:
                out = out * self.scale[k][:, :, None]
            if k < L:
                out = np.matmul(self.params[f"W{k + 1}"], out)
        if self.loss is None:
            return np.zeros(E, dtype=out.dtype), kink
        dl, hinge = self.loss(out, self.u, big if first == L + 1 else None)
        if hinge is not None:
            kink |= hinge.any(axis=0)
        return dl.sum(axis=0) / m, kink

    def _rank_one_layer(self, k, rows, u, kink) -> tuple[np.ndarray, int, float | None]:
        """Layer k = l+1 after a change u (m, E) of row rows[e] (sorted) of a[l]: returns
        (Δz[k+1], k+1, a bound of its |values| or None), or (Δa[L], L+1, bound) when k is the
        output layer."""
        kind, W, m = self.kinds[k - 1], self.params[f"W{k}"], self.m
        E = u.shape[1]
        n_out = self.sizes[k + 1] if k < self.L else self.sizes[-1]
        starts = np.concatenate(([0], np.flatnonzero(rows[1:] != rows[:-1]) + 1))
        uniq, counts = rows[starts], np.diff(starts, append=E)
        w_max = np.repeat(np.abs(W[:, uniq]).max(axis=0), counts)
        degrees = taylor_degrees(kind, np.abs(u).max(axis=0) * w_max, self.u)
        easy = degrees <= MAX_DEGREE
        if kind in KINKED_ACTIVATIONS:
            lo, hi = (np.repeat(b, counts, axis=0).T * (1 - KINK_MARGIN)
                      for b in relu_interval(self.z[k], W[:, uniq].T))
            easy &= ((lo < u.real) & (u.real < hi)).all(axis=0)
        if len(uniq) == 1 and easy.all():  # the common case: one row, every evaluation smooth
            G = self._coefficients_through(k, uniq, int(degrees.max()))
            big = float(np.abs(u).max()) ** np.arange(1, G.shape[-1] + 1) @ np.abs(G[0]).max(axis=(0, 1))
            return np.matmul(G[0], self._powers(u, G.shape[-1])), k + 1, float(big)
        out = np.empty((m, n_out, E), dtype=np.result_type(u.dtype, self.dtype))
        if easy.any():
            degree = int(degrees[easy].max())
            powers = self._powers(u, degree)
            for i, (a, b) in enumerate(zip(starts, starts + counts, strict=True)):
                if not easy[a:b].any():
                    continue
                sel = slice(a, b) if easy[a:b].all() else np.arange(a, b)[easy[a:b]]
                G = self._coefficients_through(k, uniq[i : i + 1], degree)  # row by row: bounded
                out[:, :, sel] = np.matmul(G[0], powers[:, :, sel])
        hard = np.flatnonzero(~easy)
        batch = max(1, CHUNK_ELEMENTS // (m * W.shape[0]))
        for a in range(0, hard.size, batch):
            sel = hard[a : a + batch]
            dz = W[:, rows[sel]] * u[:, None, sel]
            da, flips = activation_change(kind, self.z[k][:, :, None], self.a[k][:, :, None], dz, self.u)
            if flips is not None:
                kink[sel] |= flips.any(axis=(0, 1))
            if k in self.scale:
                da = da * self.scale[k][:, :, None]
            out[:, :, sel] = np.matmul(self.params[f"W{k + 1}"], da) if k < self.L else da
        return out, k + 1, None

    @staticmethod
    def _powers(u: np.ndarray, degree: int) -> np.ndarray:
        """(m, degree, E): u, u², ..., u^degree."""
        powers = np.empty((u.shape[0], degree, u.shape[1]), dtype=u.dtype)
        powers[:, 0] = u
        for p in range(1, degree):
            np.multiply(powers[:, p - 1], u, out=powers[:, p])
        return powers

    def _coefficients_through(self, k: int, uniq: np.ndarray, degree: int) -> np.ndarray:
        """G (R, m, n_out, P): layer k's change for a change u of a[k-1][row], times W[k+1] unless
        k is the output layer, is Σ_p G[row, :, :, p-1] u^p (between kinks)."""
        c = self._coefficients.get(k)
        if c is None:
            c = taylor_coefficients(self.kinds[k - 1], self.z[k], self.a[k], MAX_DEGREE)
            self._coefficients[k] = c
        c = c[:degree]  # (P, m, n[k])
        if k in self.scale:
            c = c * self.scale[k]
        W = self.params[f"W{k}"][:, uniq].T  # (R, n[k])
        powers = W[:, None, :] ** np.arange(1, c.shape[0] + 1)[None, :, None]  # (R, P, n[k])
        G = powers[:, None, :, :] * c.transpose(1, 0, 2)[None]  # (R, m, P, n[k])
        if k < self.L:
            G = G @ self.params[f"W{k + 1}"].T
        return np.ascontiguousarray(G.transpose(0, 1, 3, 2))


_EVALUATORS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def evaluator_for(objective) -> FastEvaluator:
    """The objective's FastEvaluator, made once: the cached forward pass serves every block."""
    if isinstance(objective, FastEvaluator):
        return objective
    evaluator = _EVALUATORS.get(objective)
    if evaluator is None:
        evaluator = _EVALUATORS[objective] = FastEvaluator(objective)
    return evaluator


def fast_numeric(
    objective, name: str, flat: np.ndarray, epsilon: float, method: str, workers: int | None = None
) -> Iterator[tuple[int, int, np.ndarray, np.ndarray]]:
    """Yield (start, stop, numeric, kink) per chunk of ``flat``, as the reference loop would give.

    Chunks run on a small thread pool (numpy releases the GIL); results come back in order.
    """
    evaluator = evaluator_for(objective)
    steps = STEPS[method](epsilon)
    size = evaluator.chunk_size(name, len(steps))
    bounds = [(s, min(s + size, len(flat))) for s in range(0, len(flat), size)]

    def run(bound):
        J, kink = evaluator.values(name, flat[bound[0] : bound[1]], steps)
        return bound[0], bound[1], _difference(J, evaluator.J0_float, epsilon, method), kink.any(axis=0)

    workers = workers or min(2, os.cpu_count() or 1)
    if workers == 1 or len(bounds) == 1:
        yield from map(run, bounds)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending = []
        try:
            for bound in bounds:
                pending.append(pool.submit(run, bound))
                if len(pending) > workers:
                    yield pending.pop(0).result()
            while pending:
                yield pending.pop(0).result()
        finally:
            for future in pending:
                future.cancel()


def _difference(J: np.ndarray, J0: float, eps: float, method: str) -> np.ndarray:
    """The numeric derivatives from J (S, C) at the method's steps, as ``gradcheck._difference``."""
    re = J.real.astype(np.float64)
    if method == "complex":
        return J.imag.astype(np.float64) / eps
    if method == "forward":
        return (re[0] - J0) / eps
    centered = (re[0] - re[1]) / (2 * eps)
    if method == "centered":
        return centered
    half = (re[2] - re[3]) / eps
    return (4 * half - centered) / 3
