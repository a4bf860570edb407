"""Diagnosis of a failed check: what kind of disagreement each block shows, in one sentence.

Every block gets a ``Diagnosis`` or None. None means the block passes: its difference, kink-crossed
components included, is at most 1e-5. A block that exceeds 1e-5 only because of kink-crossed
components is not failing (``failing_blocks()`` leaves it out) but still gets kind "kink", so
the verdict that counts the kinks is explained too. A failing block is read from its arrays
(analytic a, numeric n, kinks left out), in this order:

- noise: every |a − n| is within the rounding floor u·(|J| + |θ|·|a|)/ε or the truncation
  error of the difference formula (ε², or ε one-sided, times |a|): the set-up, not a bug;
- missing_regularization: a − n equals −(λ/m)·W (or −(λ/2m)·sign(W) for L1);
- misplaced: every entry of a bias is the sum of the numeric one (summed over the wrong axis);
- sign / scale: a = c·n (or, with regularization, a − R = c·(n − R): the data part alone);
- misplaced: a is n transposed or shuffled;
- rows / columns: the errors sit in some rows (units) or columns (inputs) only, read on the
  last two axes of a block of 2 or more dimensions (some entries of a 1-D block);
- unexplained: none of the above.

Then the layers are read together: when the blocks of one layer l and of layers before it fail
and no block of layers 1..l passes (kink, noise and all-zero blocks count neither way), the
error enters backprop at layer l (an activation or dropout derivative) and each failing block
gets kind "propagated", unless every failing block shows one common factor and the error
reaches the output layer (a flipped or scaled loss gradient: kinds "sign" and "scale").
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass

import numpy as np

from gradviz.core.diagnosis.advice import suggested_epsilon
from gradviz.core.model.spec import NetworkSpec
from gradviz.core.report.check_report import OK, CheckReport

DIAGNOSIS_KINDS = (
    "scale", "sign", "missing_regularization", "rows", "columns", "propagated",
    "misplaced", "kink", "noise", "unexplained",
)
NOT_A_BUG = ("kink", "noise")
NOISE_FACTOR = 10.0  # how far past the estimated floor a difference may go and still be noise
EXPLAINED = 0.01  # a pattern explains a block when it leaves at most 1% of the difference
TRUNCATION_ORDER = {"centered": 2, "forward": 1, "richardson": 4}
ROUNDING_GAIN = {"centered": 1.0, "forward": 2.0, "richardson": 3.0}
_LAYERED = re.compile(r"^([Wb])(\d+)$")


@dataclass
class Diagnosis:
    """What a block's disagreement looks like: ``kind`` (one of DIAGNOSIS_KINDS) and ``message``.

    factor: a / n for "scale" and "sign" (of the data part when regularization is on), else None.
    layer: the layer where a "propagated" error enters backprop. indices: the rows or columns
    that hold the errors for "rows" and "columns". shared: one sentence for every block with the
    same cause (a report's summary says it once instead of each block's message).
    """

    block: str
    kind: str
    message: str
    factor: float | None = None
    layer: int | None = None
    indices: tuple[int, ...] = ()
    shared: str | None = None

    @property
    def sentence(self) -> str:
        """What a report's summary says for this block: the shared sentence, else the message."""
        return self.shared or self.message

    @property
    def is_bug(self) -> bool:
        return self.kind not in NOT_A_BUG

    def to_dict(self) -> dict:
        data = asdict(self)
        data["indices"] = list(self.indices)
        return data


def diagnose_check(report: CheckReport, objective) -> dict[str, Diagnosis | None]:
    """Diagnose a report straight after its check, with the objective the check differentiated."""
    net = getattr(objective, "net", None)
    spec = net.spec if net is not None else None
    m = objective.X.shape[1] if net is not None else None
    return diagnose_report(report, spec=spec, params=objective.params, m=m)


def diagnose_report(
    report: CheckReport,
    *,
    spec: NetworkSpec | None = None,
    params: dict[str, np.ndarray] | None = None,
    m: int | None = None,
) -> dict[str, Diagnosis | None]:
    """Set ``report.blocks[name].diagnosis`` for every block and return them by name.

    spec, params (θ where the check ran) and m (examples) are optional: with them the expected
    regularization gradient and the rounding floor are known exactly; without them what the
    arrays alone show is diagnosed.
    """
    context = _Context(report, spec, params, m)
    found = {name: _diagnose_block(context, name) for name in report.blocks}
    found.update(_read_layers(context, found))
    for name, diagnosis in found.items():
        report.blocks[name].diagnosis = diagnosis
    return found


# -- the context of one report ------------------------------------------------------------------
class _Context:
    def __init__(self, report: CheckReport, spec, params, m) -> None:
        s = report.settings
        self.report, self.spec, self.m = report, spec, m
        self.params = {k: np.asarray(v, dtype=np.float64) for k, v in (params or {}).items()}
        self.epsilon = float(s.get("epsilon", 1e-7))
        self.method = s.get("method", "centered")
        self.dtype = s.get("dtype", "float64")
        self.terms = s.get("terms", "all")
        self.dropout = s.get("dropout", "off")
        self.loss = abs(report.loss) if math.isfinite(report.loss) else 0.0
        self.u = float(np.finfo(np.dtype(self.dtype)).eps)

    def layer_of(self, name: str) -> int | None:
        match = _LAYERED.match(name)
        return int(match.group(2)) if match else None

    def n_layers(self) -> int | None:
        if self.spec is not None:
            return len(self.spec.layers)
        layers = [self.layer_of(n) for n in self.report.blocks]
        return None if None in layers else max(layers)

    def floors(self, name: str, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(rounding, truncation) error estimates of each numeric component."""
        scale = np.abs(a) + float(np.sqrt(np.mean(a * a)))
        if self.method == "complex":
            return self.u * scale, np.zeros_like(a)
        theta = self.params.get(name)
        step = 0.0 if theta is None else np.abs(theta) * np.abs(a)
        rounding = ROUNDING_GAIN[self.method] * self.u * (self.loss + step) / self.epsilon
        return np.broadcast_to(rounding, a.shape), self.epsilon ** TRUNCATION_ORDER[self.method] * scale

    def regularization(self, name: str) -> dict[str, np.ndarray]:
        """The expected regularization gradients of a W block, by term ("L2", "L1")."""
        spec, theta = self.spec, self.params.get(name)
        if spec is None or self.m is None or theta is None or self.terms == "data" or name[0] != "W":
            return {}
        terms = {}
        if spec.l2:
            terms["L2"] = spec.l2 / self.m * theta
        if spec.l1:
            terms["L1"] = spec.l1 / (2 * self.m) * np.sign(theta)
        return terms


def _grad(name: str) -> str:
    return f"d{name}" if _LAYERED.match(name) else f"the gradient of {name}"


def _norm(x: np.ndarray) -> float:
    return float(np.linalg.norm(x))


# -- one block ----------------------------------------------------------------------------------
def _diagnose_block(context: _Context, name: str) -> Diagnosis | None:
    b = context.report.blocks[name]
    raw = b.difference
    if not b.failing and raw <= OK:
        return None
    g = _grad(name)
    if not b.failing:
        return Diagnosis(
            name, "kink",
            f"{g} differs from the numeric gradient only at {int(b.kink.sum())} component(s) whose "
            f"±ε step crossed a kink (ReLU, hinge or |w|): difference {raw:.1e} with them and "
            f"{b.difference_without_kinks:.1e} without, so not a bug",
        )
    if context.dropout == "resample":
        return Diagnosis(
            name, "noise",
            f"{g} differs by {b.difference_without_kinks:.1e} because dropout masks were drawn anew "
            "for every evaluation, so J is not one function: not evidence of a bug; check with "
            "dropout 'frozen'",
        )
    used = b.checked & ~b.kink & np.isfinite(b.numeric) & np.isfinite(b.analytic)
    if not used.any():
        return Diagnosis(name, "unexplained",
                         f"{g} or its numeric gradient is not finite (NaN or Inf): the loss or "
                         "backprop overflowed near θ")
    return _Pattern(context, name, used).classify()


class _Pattern:
    """The arrays of one failing block, restricted to the components that count."""

    def __init__(self, context: _Context, name: str, used: np.ndarray) -> None:
        b = context.report.blocks[name]
        self.context, self.name, self.g = context, name, _grad(name)
        self.used, self.shape = used, b.analytic.shape
        self.full_a = b.analytic
        self.full_n = b.numeric
        self.a, self.n = b.analytic[used], b.numeric[used]
        self.D = self.a - self.n
        self.difference = b.difference_without_kinks
        rounding, truncation = context.floors(name, b.analytic)
        self.full_floor = np.where(used, rounding + truncation, 0.0)
        self.rounding, self.truncation = rounding[used], truncation[used]
        self.noise = NOISE_FACTOR * _norm(self.rounding + self.truncation)

    def explains(self, residual: np.ndarray) -> bool:
        """Whether a model of the block leaves at most 1% of the difference (plus noise)."""
        return _norm(residual) <= EXPLAINED * _norm(self.D) + self.noise

    def classify(self) -> Diagnosis:
        for test in (self.noise_floor, self.missing_regularization, self.summed, self.scale,
                     self.misplaced, self.confined):
            found = test()
            if found is not None:
                return found
        return Diagnosis(self.name, "unexplained",
                         f"{self.g} disagrees with the numeric gradient (difference "
                         f"{self.difference:.1e}) in no simple pattern: check its backprop formula")

    # -- the patterns, in order ---------------------------------------------------------------
    def noise_floor(self) -> Diagnosis | None:
        c = self.context
        bound = NOISE_FACTOR * (self.rounding + self.truncation)
        if not np.all(np.abs(self.D) <= bound):
            return None
        largest = float(np.abs(self.D).max())
        best = suggested_epsilon(c.dtype, c.method) if c.method != "complex" else c.epsilon
        if _norm(self.rounding) >= _norm(self.truncation):
            if c.dtype != "float64":
                fix = f"use float64 (ε ≈ {suggested_epsilon('float64', c.method):.0e})"
            elif c.epsilon < best:
                fix = f"ε is too small: try ε ≈ {best:.0e}"
            else:
                fix = f"the gradient is tiny next to |J| = {c.loss:.2g}: try a larger ε"
            return Diagnosis(
                self.name, "noise",
                f"the differences in {self.g} (largest {largest:.1e}) are at the rounding floor of "
                f"{c.dtype} with ε = {c.epsilon:.0e} (about u·|J|/ε = "
                f"{c.u * c.loss / c.epsilon:.1e}): not a bug; {fix}",
            )
        order = TRUNCATION_ORDER[c.method]
        return Diagnosis(
            self.name, "noise",
            f"the differences in {self.g} (largest {largest:.1e}) are the size of the truncation "
            f"error of {c.method} differences with ε = {c.epsilon:.0e} (about ε^{order}·|dθ|): "
            f"not a bug; ε is too large: try ε ≈ {best:.0e}",
        )

    def missing_regularization(self) -> Diagnosis | None:
        c, name = self.context, self.name
        expected = c.regularization(name)
        if expected:
            candidates = dict(expected)
            if len(expected) == 2:
                candidates["L2 and L1"] = expected["L2"] + expected["L1"]
            for term, R in candidates.items():
                R = R[self.used]
                if _norm(R) > 0 and self.explains(self.D + R):
                    formula = {"L2": f"(λ/m)·{name} with λ = {c.spec.l2:g}, m = {c.m}",
                               "L1": f"(λ/2m)·sign({name}) with λ = {c.spec.l1:g}, m = {c.m}",
                               }.get(term, f"with λ₂ = {c.spec.l2:g}, λ₁ = {c.spec.l1:g}, m = {c.m}")
                    return Diagnosis(
                        name, "missing_regularization",
                        f"the difference in {self.g} (largest {np.abs(self.D).max():.1e}) equals "
                        f"the {term} regularization gradient {formula}: the regularization term "
                        f"is missing from {self.g}",
                    )
            return None
        theta = c.params.get(name)
        if c.spec is not None or theta is None or not name.startswith("W"):
            return None
        for label, basis in (("L2-like", theta), ("L1-like", np.sign(theta))):
            basis = basis[self.used]
            kappa = _fit(self.D, basis)
            if kappa < 0 and self.explains(self.D - kappa * basis):
                what = name if label == "L2-like" else f"sign({name})"
                return Diagnosis(
                    name, "missing_regularization",
                    f"the difference in {self.g} (largest {np.abs(self.D).max():.1e}) is "
                    f"{kappa:.3g}·{what}, an {label} regularization gradient: the regularization "
                    f"term is missing from {self.g}",
                )
        return None

    def scale(self) -> Diagnosis | None:
        """a = c·n, or with regularization a − R = c·(n − R) (whichever fits better)."""
        fits = [(self.a, self.n, False)]
        terms = self.context.regularization(self.name)
        if terms and self.context.terms == "all":
            R = sum(terms.values())[self.used]
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
        value = 0.0 if zero else float(a.flat[0])
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
        """Indices along ``axis`` (-2: rows, -1: columns) that hold the errors, if only some do."""
        used = self.used
        others = tuple(i for i in range(len(self.shape)) if i != len(self.shape) + axis)

        def norm(x: np.ndarray) -> np.ndarray:
            return np.sqrt(np.sum(np.where(used, x, 0.0) ** 2, axis=others))

        error = norm(self.full_a - self.full_n)
        scale = norm(self.full_a) + norm(self.full_n)
        noise = NOISE_FACTOR * norm(self.full_floor)
        bad = (error > OK * scale) & (error > noise)
        checked = used.any(axis=others)
        if not bad.any() or bad.sum() == checked.sum():
            return None
        return [int(i) for i in np.flatnonzero(bad)]


def _fit(y: np.ndarray, x: np.ndarray) -> float:
    """Least-squares c in y ≈ c·x (0 when x is 0)."""
    xx = float(np.dot(x, x))
    return float(np.dot(x, y)) / xx if xx > 0 else 0.0


# -- the layers together --------------------------------------------------------------------------
def _read_layers(context: _Context, found: dict[str, Diagnosis | None]) -> dict[str, Diagnosis]:
    """Re-read the bug diagnoses of a prefix of layers as one error that propagates backwards."""
    bugs = {name: d for name, d in found.items() if d is not None and d.is_bug}
    L = context.n_layers()
    if not bugs or L is None or any(context.layer_of(n) is None for n in bugs):
        return {}
    entry = max(context.layer_of(n) for n in bugs)
    present = {n: context.layer_of(n) for n in context.report.blocks}
    # a passing block contradicts; kink, noise and all-zero blocks neither confirm nor contradict
    if any(layer is not None and layer <= entry and found[n] is None and not _all_zero(context, n)
           for n, layer in present.items()):
        return {}
    earlier = any(present[n] < entry for n in bugs)
    if not earlier and not all(f"{p}{entry}" in bugs for p in "Wb"):
        return {}
    factors = {d.factor for d in bugs.values() if d.kind in ("scale", "sign")}
    common = None
    if len(factors) and all(d.kind in ("scale", "sign") for d in bugs.values()):
        values = np.array(sorted(factors))
        if values[0] != 0 and np.ptp(values) <= 0.01 * abs(values).max():
            common = float(values.mean())
    if entry == L and common is not None:
        note = ("every block is flipped: look at the sign of the loss gradient" if common < 0 else
                "every block is scaled alike: look at the loss gradient and the output layer's "
                "activation derivative")
        return {n: Diagnosis(n, d.kind, f"{d.message} ({note})", d.factor) for n, d in bugs.items()}
    suspects = _suspects(context, entry, L, common)
    names = sorted(bugs, key=lambda n: (present[n], n))
    listed = ", ".join(_grad(n) for n in names)
    layers = "layer 1" if entry == 1 else f"layers 1 to {entry}"
    later = ""
    if entry < L:
        later = (f", while layer {L} shows no bug" if entry + 1 == L
                 else f", while layers {entry + 1} to {L} show no bug")
    factor = "" if common is None else f", each {common:.2f}× the numeric gradient"
    cause = f"the error enters backprop at layer {entry} and propagates backwards; suspect {suspects}"
    shared = f"Every block of {layers} is wrong ({listed}{factor}){later}: {cause}"
    return {
        n: Diagnosis(
            n, "propagated",
            f"{_grad(n)} is wrong like every block of {layers} ({listed}{factor}){later}: {cause}",
            layer=entry, shared=shared,
        )
        for n in bugs
    }


def _all_zero(context: _Context, name: str) -> bool:
    b = context.report.blocks[name]
    return not np.any(b.analytic[b.checked]) and not np.any(b.numeric[b.checked])


def _suspects(context: _Context, entry: int, L: int, common: float | None) -> str:
    """What in layer ``entry`` can put an error into dZ: the words for the suspects."""
    spec = context.spec
    if spec is None:
        text = f"layer {entry}'s activation derivative"
        return text + (" or the loss gradient" if entry == L else "")
    layer = spec.layers[entry - 1]
    text = f"layer {entry}'s activation derivative ({layer.activation})"
    if entry == L:
        text += " or the loss gradient"
    if layer.keep_prob < 1 and context.dropout != "off":
        kp = layer.keep_prob
        if common is not None and abs(common - kp) <= 0.01 * kp:
            return (f"layer {entry}'s dropout backprop, {kp:g}× too small as if the division by "
                    f"keep_prob = {kp:g} were missing (or {text})")
        text += f" or its dropout backprop (keep_prob {kp:g}: the mask or the 1/keep_prob)"
    return text
