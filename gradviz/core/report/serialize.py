"""A CheckReport as data: JSON-safe dicts (NaN as null, ±inf as strings) and back, and the
per-component CSV (one row per checked component, the index written as a tuple)."""

from __future__ import annotations

import csv
import io
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from gradviz.core.report.check_report import COMPONENT_KINDS, BlockResult

if TYPE_CHECKING:
    from gradviz.core.report.check_report import CheckReport


def listed(a: np.ndarray) -> list:
    """JSON-safe values: NaN (unchecked) as null, ±inf as the strings "inf" / "-inf"."""
    if a.dtype.kind != "f":
        return a.tolist()
    out = np.where(np.isnan(a), None, a).astype(object)
    out[np.isposinf(a)], out[np.isneginf(a)] = "inf", "-inf"
    return out.tolist()


def _number(x: float) -> float | str | None:
    return listed(np.array([x], dtype=np.float64))[0]


def report_to_dict(report: CheckReport) -> dict[str, Any]:
    """The conclusion, Ng's difference and status, settings, warnings, failing and explained
    blocks, and per block: shape, differences, the arrays (analytic, numeric, kink,
    numeric_second), the kind of each component by name and the diagnosis."""
    return {
        "conclusion": report.conclusion,
        "conclusion_reason": report.conclusion_reason,
        "difference": _number(report.difference),
        "status": report.status,
        "passed": report.passed,
        "random_loss": report.random_loss,
        "loss": _number(report.loss),
        "engine": report.engine,
        "elapsed": report.elapsed,
        "settings": report.settings,
        "warnings": list(report.warnings),
        "failing_blocks": report.failing_blocks(),
        "explained_blocks": report.explained_blocks(),
        "blocks": {
            name: {
                "shape": list(b.analytic.shape),
                "difference": _number(b.difference),
                "cs231n_rel_error": _number(b.cs231n_rel_error),
                "analytic": listed(b.analytic),
                "numeric": listed(b.numeric),
                "kink": listed(b.kink),
                "numeric_second": listed(b.numeric_second),
                "kinds": np.array(COMPONENT_KINDS)[b.kinds].tolist(),
                "diagnosis": None if b.diagnosis is None else b.diagnosis.to_dict(),
            }
            for name, b in report.blocks.items()
        },
    }


def number_or_nan(value: float | str | None) -> float:
    """A number written by ``report_to_dict``: null is NaN, "inf" / "-inf" are infinities."""
    return float("nan") if value is None else float(value)


def _array(values: list, shape: list[int]) -> np.ndarray:
    flat = np.array(values, dtype=object).reshape(-1)
    return np.array([np.nan if v is None else float(v) for v in flat]).reshape(shape)


def _kinds(b: dict) -> np.ndarray | None:
    if "kinds" not in b:
        return None
    names = np.array(b["kinds"], dtype=object).reshape(-1)
    return np.array([COMPONENT_KINDS.index(k) for k in names]).reshape(b["shape"])


def report_from_dict(data: dict[str, Any], cls: type[CheckReport]) -> CheckReport:
    """A ``cls`` rebuilt from ``report_to_dict``'s data (diagnoses are recomputed by the caller)."""
    blocks = {
        name: BlockResult(
            name,
            _array(b["analytic"], b["shape"]),
            _array(b["numeric"], b["shape"]),
            np.array(b["kink"], dtype=bool).reshape(b["shape"]),
            numeric_second=_array(b["numeric_second"], b["shape"]) if "numeric_second" in b else None,
            kinds=_kinds(b),
        )
        for name, b in data["blocks"].items()
    }
    return cls(
        blocks, dict(data.get("settings", {})), list(data.get("warnings", [])),
        number_or_nan(data.get("loss")), data.get("engine", "reference"),
        float(data.get("elapsed", 0.0)), bool(data.get("random_loss", False)),
        str(data.get("conclusion_reason", "")),
    )


def report_to_csv(report: CheckReport, path: str | None = None) -> str:
    """One row per checked component: block, index (a tuple such as "(2, 0, 1, 1)"), analytic,
    numeric, abs_error, rel_error, kink, kind, numeric_second (empty when not evaluated again).
    Writes to ``path`` when given; returns the text."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["block", "index", "analytic", "numeric", "abs_error", "rel_error", "kink",
                     "kind", "numeric_second"])
    for name, b in report.blocks.items():
        for flat in np.flatnonzero(b.checked):
            c = report.component(name, int(flat))
            writer.writerow([
                name, str(c.index), repr(c.analytic), repr(c.numeric),
                repr(c.abs_error), repr(c.rel_error), int(c.kink),
                c.kind, "" if math.isnan(c.numeric_second) else repr(c.numeric_second),
            ])
    text = out.getvalue()
    if path is not None:
        with open(path, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
    return text
