"""What a block with a bug looks like, read from its arrays (analytic a, numeric n; kink-crossed
components left out), in this order:

- unused: J does not change with the block at all (n = 0 everywhere, far from J's resolution)
  while a is not 0: backprop differentiates something the loss does not use;
- regularization: a − n = κ·R with R the expected regularization gradient ((λ/m)·W for L2,
  (λ/2m)·sign(W) for L1): missing (κ = −1) or another share of what J implies; for models
  without a spec, a − n = κ·W or κ·sign(W) (an L2- or L1-like term);
- misplaced: every entry of a bias is the sum of the numeric one (summed over the wrong axis);
- sign / scale: a = c·n (or, with regularization, a − R = c·(n − R): the data part alone);
- misplaced: a is n transposed or shuffled;
- rows / columns: the errors sit in some rows (units) or columns (inputs) only, read on the
  last two axes of a block of 2 or more dimensions (some entries of a 1-D block);
- unexplained: none of the above.

A pattern explains a block when it leaves at most 1% of the difference, plus what the
components' own bounds allow (their floors, and their measured error where it is explained).
Arrays are divided by the block's largest value first, so gradients of 1e-170 fit like those of 1.
"""

from __future__ import annotations

import numpy as np

from gradviz.core.diagnosis.context import Context, Diagnosis, gradient_name
from gradviz.core.report.check_report import MISMATCH, OK

EXPLAINED = 0.01  # a pattern explains a block when it leaves at most 1% of the difference


def _norm(x: np.ndarray) -> float:
    return float(np.linalg.norm(x))


def _fit(y: np.ndarray, x: np.ndarray) -> float:
    """Least-squares c in y ≈ c·x (0 when x is 0)."""
    xx = float(np.dot(x, x))
    return float(np.dot(x, y)) / xx if xx > 0 else 0.0


class BugPattern:
    """The arrays of one block with a bug, restricted to the components that count, scaled."""

    def __init__(self, context: Context, name: str, used: np.ndarray) -> None:
        b = context.report.blocks[name]
        self.context, self.name, self.g = context, name, gradient_name(name)
        self.used, self.shape = used, b.analytic.shape
        self.scale = float(max(np.abs(b.analytic[used]).max(), np.abs(b.numeric[used]).max())) or 1.0
        self.full_a = b.analytic / self.scale
        self.full_n = b.numeric / self.scale
        self.a, self.n = self.full_a[used], self.full_n[used]
        self.D = self.a - self.n
        self.difference = b.difference_without_kinks
        # what a component's own bounds allow: its floor, or its error where that is explained
        allowance = context.floor(name) / self.scale
        explained = b.kinds != MISMATCH
        allowance = np.where(explained, np.maximum(allowance, np.abs(self.full_a - self.full_n)),
                             allowance)
        self.mismatch = (b.kinds == MISMATCH) & used
        self.full_allowance = np.where(used, allowance, 0.0)
        self.noise = _norm(self.full_allowance[used])

    def explains(self, residual: np.ndarray) -> bool:
        """Whether a model of the block leaves at most 1% of the difference (plus noise)."""
        return _norm(residual) <= EXPLAINED * _norm(self.D) + self.noise

    def classify(self) -> Diagnosis:
        for test in (self.unused, self.regularization, self.summed, self.scale_fit, self.misplaced,
                     self.confined):
            found = test()
            if found is not None:
                return found
        return Diagnosis(self.name, "unexplained",
                         f"{self.g} disagrees with the numeric gradient (difference "
                         f"{self.difference:.1e}) in no simple pattern: check its backprop formula")

    # -- the patterns, in order ---------------------------------------------------------------
    def unused(self) -> Diagnosis | None:
        if np.any(self.n != 0):
            return None
        return Diagnosis(
            self.name, "unused",
            f"J does not change with {self.name} at all (every numeric {self.g} is 0, and J = "
            f"{self.context.loss:.2g} would show far smaller changes) while {self.g} is up to "
            f"{np.abs(self.a).max() * self.scale:.1e}: backprop computes a gradient for something "
            "the loss does not use (does forward read a copy of the parameters? a unit that is "
            "always off or dropped?)",
        )

    def regularization(self) -> Diagnosis | None:
        c, name = self.context, self.name
        expected = c.regularization(name)
        if not expected:
            return self._regularization_like()
        candidates = dict(expected)
        if len(expected) == 2:
            candidates["L2 and L1"] = expected["L2"] + expected["L1"]
        largest = np.abs(self.D).max() * self.scale
        for term, R in candidates.items():
            R = R[self.used] / self.scale
            kappa = _fit(self.D, R)
            if _norm(R) == 0 or abs(kappa) < 0.05 or not self.explains(self.D - kappa * R):
                continue
            formula = {"L2": f"(λ/m)·{name} with λ = {c.spec.l2:g}, m = {c.m}",
                       "L1": f"(λ/2m)·sign({name}) with λ = {c.spec.l1:g}, m = {c.m}",
                       }.get(term, f"with λ₂ = {c.spec.l2:g}, λ₁ = {c.spec.l1:g}, m = {c.m}")
            if abs(kappa + 1) <= 0.02:
                return Diagnosis(
                    name, "missing_regularization",
                    f"the difference in {self.g} (largest {largest:.1e}) equals the {term} "
                    f"regularization gradient {formula}: the regularization term is missing "
                    f"from {self.g}",
                )
            share = 1 + kappa
            words = "half" if abs(share - 0.5) <= 0.01 else f"{share:.2f}×"
            return Diagnosis(
                name, "wrong_regularization",
                f"the difference in {self.g} (largest {largest:.1e}) is {kappa:.2f}× the {term} "
                f"regularization gradient {formula}: the regularization gradient in {self.g} is "
                f"{words} what J implies",
                factor=share,
            )
        return None

    def _regularization_like(self) -> Diagnosis | None:
        """Without a spec: a − n = κ·W (L2-like) or κ·sign(W) (L1-like) with κ < 0. λ is not
        known, so whether the term is missing or partly there cannot be told."""
        theta = self.context.params.get(self.name)
        if self.context.spec is not None or theta is None or not self.name.startswith("W"):
            return None
        for label, basis in (("L2-like", theta), ("L1-like", np.sign(theta))):
            basis = basis[self.used]
            kappa = _fit(self.D, basis) * self.scale
            if kappa < 0 and self.explains(self.D - kappa / self.scale * basis):
                what = self.name if label == "L2-like" else f"sign({self.name})"
                return Diagnosis(
                    self.name, "missing_regularization",
                    f"the difference in {self.g} (largest {np.abs(self.D).max() * self.scale:.1e})"
                    f" is {kappa:.3g}·{what}, an {label} regularization gradient: {self.g} lacks "
                    f"{-kappa:.3g}·{what} of the regularization gradient J implies (all of it if "
                    f"J's λ/m is {-kappa:.3g}, half of it if {-2 * kappa:.3g})",
                )
        return None

    def scale_fit(self) -> Diagnosis | None:
        """a = c·n, or with regularization a − R = c·(n − R) (whichever fits better)."""
        fits = [(self.a, self.n, False)]
        terms = self.context.regularization(self.name)
        if terms and self.context.terms == "all":
            R = sum(terms.values())[self.used] / self.scale
            fits.append((self.a - R, self.n - R, True))
        residual, factor, data_part = min(
            (_norm(y - _fit(y, x) * x), _fit(y, x), data_part) for y, x, data_part in fits
        )
        if residual <= EXPLAINED * _norm(self.D) + self.noise:
            return self._scaled(factor, data_part=data_part)
        return None

    def _scaled(self, factor: float, *, data_part: bool) -> Diagnosis:
        g = self.g
        if abs(factor) < 5e-3:
            return Diagnosis(self.name, "scale",
                             f"{g} is 0.00× the numeric gradient: zero where it should not be, "
                             "as if never computed or multiplied by zero", factor=0.0)
        if abs(factor + 1) < 0.02:
            if data_part:
                text = (f"the data part of {g} (without the regularization term) is "
                        f"{factor:.2f}× the numeric one while the regularization part is right: "
                        "a sign flip in the loss gradient or in backprop")
            else:
                text = f"{g} is {factor:.2f}× the numeric gradient everywhere: a sign flip"
            return Diagnosis(self.name, "sign", text, factor=factor)
        what = f"the data part of {g} (without the regularization term)" if data_part else g
        return Diagnosis(self.name, "scale",
                         f"{what} is {factor:.2f}× the numeric gradient everywhere: a scaling bug, "
                         "e.g. a doubled term or a wrong 1/m", factor=factor)

    def summed(self) -> Diagnosis | None:
        """A vector (a bias) whose every entry is the sum of the numeric one: the wrong axis."""
        a, n = self.full_a, self.full_n
        if not self.used.all() or a.size < 2 or a.size != max(a.shape, default=1):
            return None
        total = float(n.sum())
        if not self.explains(a.ravel() - total):
            return None
        zero = abs(total) <= self.noise
        value = 0.0 if zero else float(a.flat[0]) * self.scale
        return Diagnosis(
            self.name, "misplaced",
            f"every entry of {self.g} is {value:.4g}, the sum of the numeric {self.g} "
            f"over its {a.size} entries: summed over the wrong axis (units instead of examples; "
            f"db sums dZ over axis 1){' (or it is never computed)' if zero else ''}",
        )

    def misplaced(self) -> Diagnosis | None:
        a, n, full = self.full_a, self.full_n, self.used.all()
        if len(self.shape) >= 2 and self.shape[-2] == self.shape[-1] > 1:
            residual = np.swapaxes(a, -1, -2)[self.used] - self.n
            if self.explains(residual):
                return Diagnosis(
                    self.name, "misplaced",
                    f"{self.g} is the numeric gradient transposed (difference {self.difference:.1e},"
                    f" transposed they agree to {_norm(residual) / max(_norm(self.n), 1e-300):.0e}): "
                    "same values in the wrong places",
                )
        if not full or a.size < 2:
            return None
        residual = np.sort(a.ravel()) - np.sort(n.ravel())
        if self.explains(residual):
            return Diagnosis(
                self.name, "misplaced",
                f"{self.g} holds the numeric gradient's values in other places (difference "
                f"{self.difference:.1e}, sorted they agree): a shuffled or mis-reshaped gradient",
            )
        return None

    def confined(self) -> Diagnosis | None:
        """Errors in some rows or columns only: of the last two axes of a block of 2 or more
        dimensions (a conv weight (F, C, kh, kw) is read as kh × kw), or some entries of a 1-D
        block. A scalar has no pattern to read."""
        ndim = len(self.shape)
        if ndim == 0:
            return None
        found = []
        words = ("units", "inputs") if self.context.spec is not None else ("rows", "columns")
        readings = [(-1, "rows", "entries")] if ndim == 1 else [(-2, "rows", words[0]),
                                                                 (-1, "columns", words[1])]
        for axis, kind, what in readings:
            lines = self._bad_lines(axis)
            if lines is not None:
                found.append((len(lines) / self.shape[axis], kind, what, lines, self.shape[axis]))
        if not found:
            return None
        _, kind, what, lines, total = min(found, key=lambda f: f[0])
        listed = ", ".join(map(str, lines))
        if ndim == 1:
            where, rest = f"entries {listed}", what
        else:
            where, rest = f"{kind} {listed}" + (" of the last two axes" if ndim > 2 else ""), kind
        return Diagnosis(
            self.name, kind,
            f"the errors in {self.g} are confined to {where} ({len(lines)} of {total} "
            f"{what}; difference {self.difference:.1e}, the other {rest} agree): look at how "
            f"backprop treats those {what if what != kind else 'entries'}",
            indices=tuple(lines),
        )

    def _bad_lines(self, axis: int) -> list[int] | None:
        """Indices along ``axis`` (-2: rows, -1: columns) that hold the mismatched components, if
        only some do."""
        used, bad_components = self.used, self.mismatch
        others = tuple(i for i in range(len(self.shape)) if i != len(self.shape) + axis)

        def norm(x: np.ndarray, where: np.ndarray) -> np.ndarray:
            return np.sqrt(np.sum(np.where(where, x, 0.0) ** 2, axis=others))

        error = norm(self.full_a - self.full_n, bad_components)
        scale = norm(self.full_a, used) + norm(self.full_n, used)
        noise = norm(self.full_allowance, used)
        bad = (error > OK * scale) & (error > noise)
        checked = used.any(axis=others)
        if not bad.any() or bad.sum() == checked.sum():
            return None
        return [int(i) for i in np.flatnonzero(bad)]
