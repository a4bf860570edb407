"""The report as text: a per-block table, the verdict, the diagnosis and the worst components,
with the conclusion on the last line (what `gradviz check` prints)."""

from __future__ import annotations

from gradviz.core.report.check_report import MISMATCH, CheckReport


def block_status(report: CheckReport, name: str) -> str:
    """"FAIL" (a bug), "explained" (disagrees for a reason that is not a bug) or "ok"."""
    b = report.blocks[name]
    if b.failing:
        return "FAIL"
    return "explained" if b.explained else "ok"


def format_report(report: CheckReport) -> str:
    """A per-block table, the verdict, the worst components and the advice, then the conclusion."""
    rows = [f"{'block':<6} {'shape':>11} {'checked':>8} {'difference':>11} {'max rel':>9} "
            f"{'kinks':>6}  status"]
    for name, b in report.blocks.items():
        shape = "×".join(map(str, b.analytic.shape))
        rel = b.rel_error[b.checked]
        worst = f"{rel.max():.1e}" if rel.size else "-"
        rows.append(
            f"{name:<6} {shape:>11} {b.n_checked:>8} {b.difference:>11.2e} {worst:>9} "
            f"{int(b.kink.sum()):>6}  {block_status(report, name)}"
        )
    headline, *rest = report.summary()
    lines = ["\n".join(rows), "", *rest]
    if not report.passed or report.failing_blocks():
        bug = report.conclusion == "bug"  # then the components that show it
        lines.append("worst components:" if not bug else "worst mismatched components:")
        lines += [
            f"  {c.block}{list(c.index)}: dθ={c.analytic:.6g} dθ_approx={c.numeric:.6g} "
            f"rel={c.rel_error:.1e} ({c.kind.replace('_', ' ')})"
            for c in report.worst(5, kinds=(MISMATCH,) if bug else None)
        ]
    lines.append(headline)
    return "\n".join(lines)
