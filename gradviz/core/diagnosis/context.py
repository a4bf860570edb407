"""What every part of a diagnosis shares: the ``Diagnosis`` record and the context of one report
(its settings, θ, the network's spec when known, the error bounds)."""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass

import numpy as np

from gradviz.core.diagnosis.bounds import FLAT_LOSS, ErrorBounds
from gradviz.core.model.spec import NetworkSpec
from gradviz.core.report.check_report import CheckReport

BUG_KINDS = ("scale", "sign", "missing_regularization", "wrong_regularization", "rows", "columns",
             "propagated", "misplaced", "unused", "unexplained")
NOT_A_BUG = ("kink", "noise", "truncation", "random", "nonfinite")
DIAGNOSIS_KINDS = BUG_KINDS + NOT_A_BUG
_LAYERED = re.compile(r"^([Wb])(\d+)$")


@dataclass
class Diagnosis:
    """What a block's disagreement looks like: ``kind`` (one of DIAGNOSIS_KINDS) and ``message``.

    factor: a / n for "scale" and "sign" (of the data part when regularization is on), the share
    of the regularization gradient present for "wrong_regularization", else None.
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


def gradient_name(name: str) -> str:
    """dW1 for W1, else "the gradient of x"."""
    return f"d{name}" if _LAYERED.match(name) else f"the gradient of {name}"


class Context:
    """One report with what is known about its check: spec, θ, m, the error bounds."""

    def __init__(self, report: CheckReport, spec: NetworkSpec | None, params, m: int | None) -> None:
        s = report.settings
        self.report, self.spec, self.m = report, spec, m
        self.params = {k: np.asarray(v, dtype=np.float64) for k, v in (params or {}).items()}
        self.epsilon = float(s.get("epsilon", 1e-7))
        self.second_epsilon = s.get("second_epsilon")
        self.method = s.get("method", "centered")
        self.dtype = s.get("dtype", "float64")
        self.terms = s.get("terms", "all")
        self.dropout = s.get("dropout", "off")
        self.random = report.random_loss or self.dropout == "resample"
        self.loss = abs(report.loss) if math.isfinite(report.loss) else 0.0
        # J's rounding: measured by the check's probe, or shown by J's own steps
        measured = max(float(s.get("loss_rounding", 0.0)), self._resolution())
        self.bounds = ErrorBounds(loss=report.loss, dtype=self.dtype, method=self.method,
                                  loss_scale=float(s.get("loss_scale", 1.0)), params=self.params,
                                  loss_rounding=measured, backprop_rounding=s.get("backprop_rounding"))
        self.u = self.bounds.u
        self.flat = self._flat()

    def _resolution(self) -> float:
        """δJ shown by J itself: where J did not move at one step (n = 0) but did at the other,
        it moves in steps coarser than the change h·|n_other| it failed to show (−log p with
        p ≈ 1 moves in steps of u, whatever |J|). The largest such change, 0 when none; a
        component that crossed a kink shows nothing (J is flat on the off side of a ReLU)."""
        if self.second_epsilon is None:
            return 0.0
        h1, h2 = self.epsilon, float(self.second_epsilon)
        shown = [0.0]
        for b in self.report.blocks.values():
            n1, n2 = np.where(b.kink, np.nan, b.numeric), np.where(b.kink, np.nan, b.numeric_second)
            moved1, moved2 = np.isfinite(n1) & (n1 != 0), np.isfinite(n2) & (n2 != 0)
            shown += list(h1 * np.abs(n2[(n1 == 0) & moved2])) + list(h2 * np.abs(n1[(n2 == 0) & moved1]))
        return float(max(shown))

    def _flat(self) -> bool:
        """Whether J moved for no checked component (every numeric gradient is 0) while that
        may be its resolution: the steps ±ε are absorbed by θ, or |J| ≤ FLAT_LOSS·u/ε (a
        saturated loss such as −log p with p ≈ 1 moves by less than u then). A flat J farther
        from 0 does not depend on θ at all: its true gradient is 0."""
        if any(np.any(b.numeric[b.checked] != 0) for b in self.report.blocks.values()):
            return False
        absorbed = any(np.any(self.epsilon < self.u * np.abs(theta)) for theta in self.params.values())
        scale = float(self.report.settings.get("loss_scale", 1.0))
        return absorbed or self.loss <= FLAT_LOSS * self.u * scale / self.epsilon

    def layer_of(self, name: str) -> int | None:
        match = _LAYERED.match(name)
        return int(match.group(2)) if match else None

    def n_layers(self) -> int | None:
        if self.spec is not None:
            return len(self.spec.layers)
        layers = [self.layer_of(n) for n in self.report.blocks]
        return None if None in layers else max(layers)

    def floor(self, name: str, epsilon: float | None = None) -> np.ndarray:
        """The block's rounding floor per component at ε (default: the check's)."""
        b = self.report.blocks[name]
        return self.bounds.floor(name, b.analytic, self.epsilon if epsilon is None else epsilon)

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
