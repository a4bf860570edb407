"""Why a report concludes what it does, and what to change: the words after "correct:", "bug:"
or "inconclusive:" (``CheckReport.conclusion_reason``)."""

from __future__ import annotations

from gradviz.core.diagnosis.context import Context, gradient_name
from gradviz.core.diagnosis.explained import (
    dominant_kind,
    nonfinite_fix,
    nonfinite_where,
    rounding_fix,
    truncation_fix,
)
from gradviz.core.report.check_report import KINK, NOISE_FLOOR, NONFINITE, RANDOM, TRUNCATION, CheckReport


def conclusion_reason(report: CheckReport, context: Context) -> str:
    """One sentence for the report's conclusion (set its diagnoses first)."""
    conclusion = report.conclusion
    if conclusion == "bug":
        return _bug(report, context)
    if context.random:
        why = ("dropout masks were drawn anew for every evaluation" if context.dropout == "resample"
               else "it gave two different values at the same θ")
        return (f"the loss is random ({why}), so the numeric gradient measures nothing; "
                "fix the seed or turn dropout and other randomness off for the check")
    explained = [n for n, b in report.blocks.items() if b.explained]
    if conclusion == "inconclusive":
        kind = dominant_kind(context, explained)
        if kind == NONFINITE:
            return (f"J was NaN or Inf at θ ± ε for {nonfinite_where(context, explained)}, so those "
                    f"components have no numeric gradient to compare with; {nonfinite_fix(context)}")
        return (f"the difference {report.difference:.1e} comes from {_what(kind, context)}, which "
                f"hides whether backprop is right; {_fix(kind, context)}")
    text = "every component agrees with its numeric gradient within its error bound"
    if explained:
        kind = dominant_kind(context, explained)
        names = ", ".join(gradient_name(n) for n in explained)
        text += f", or differs only through {_what(kind, context)} ({names})"
    return text


def _bug(report: CheckReport, context: Context) -> str:
    failing = report.failing_blocks()
    names = ", ".join(gradient_name(n) for n in failing)
    verb = "disagrees" if len(failing) == 1 else "disagree"
    text = f"{names} {verb} with the numeric gradient beyond what rounding, truncation and kinks explain"
    if context.second_epsilon is not None:
        text += f" (the second step, ε = {context.epsilon:.2g} then {float(context.second_epsilon):.2g}," \
                " shows an error that does not move with ε)"
    return text


def _what(kind: int | None, context: Context) -> str:
    if kind == NOISE_FLOOR and context.flat:
        return "J did not change for any component"
    return {
        KINK: "kinks crossed by the ±ε steps",
        NOISE_FLOOR: f"rounding in {context.dtype} at ε = {context.epsilon:.2g}",
        TRUNCATION: "truncation, which falls with ε",
        RANDOM: "a random loss",
    }.get(kind, "components that agree within their bounds")


def _fix(kind: int | None, context: Context) -> str:
    if kind == KINK:
        return "use fewer examples (fewer kinks) or a smaller ε"
    if kind == TRUNCATION:
        return truncation_fix(context)
    return rounding_fix(context)
