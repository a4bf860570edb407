"""The report as text: a per-block table, the verdict, the diagnosis and the worst components
(what `gradviz check` prints)."""

from __future__ import annotations

from gradviz.core.report.check_report import CheckReport


def format_report(report: CheckReport) -> str:
    """A per-block table, then the verdict, the worst components and the advice."""
    rows = [f"{'block':<6} {'shape':>11} {'checked':>8} {'difference':>11} {'max rel':>9} "
            f"{'kinks':>6}  status"]
    for name, b in report.blocks.items():
        shape = "×".join(map(str, b.analytic.shape))
        rel = b.rel_error[b.checked]
        worst = f"{rel.max():.1e}" if rel.size else "-"
        rows.append(
            f"{name:<6} {shape:>11} {b.n_checked:>8} {b.difference:>11.2e} {worst:>9} "
            f"{int(b.kink.sum()):>6}  {'FAIL' if b.failing else 'ok'}"
        )
    lines = ["\n".join(rows), "", *report.summary()]
    if not report.passed:
        lines.append("worst components:")
        lines += [
            f"  {c.block}{list(c.index)}: dθ={c.analytic:.6g} dθ_approx={c.numeric:.6g} "
            f"rel={c.rel_error:.1e}{' (kink)' if c.kink else ''}"
            for c in report.worst(5)
        ]
    return "\n".join(lines)
