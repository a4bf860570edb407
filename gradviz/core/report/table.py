"""The report as text: a per-block table, the verdict, the diagnosis and the worst components
(what `gradviz check` prints)."""

from __future__ import annotations

from gradviz.core.report.check_report import CheckReport


def format_report(report: CheckReport) -> str:
    """A per-block table, then the verdict, the worst components and the advice."""
    shapes = {name: "×".join(map(str, b.analytic.shape)) or "scalar" for name, b in report.blocks.items()}
    w_name = max([6, *map(len, shapes)])
    w_shape = max([11, *map(len, shapes.values())])
    rows = [f"{'block':<{w_name}} {'shape':>{w_shape}} {'checked':>8} {'difference':>11} "
            f"{'max rel':>9} {'cs231n':>8} {'kinks':>6}  status"]
    for name, b in report.blocks.items():
        rel = b.rel_error[b.checked]
        worst = f"{rel.max():.1e}" if rel.size else "-"
        cs231n = f"{b.cs231n_rel_error:.1e}" if rel.size else "-"
        rows.append(
            f"{name:<{w_name}} {shapes[name]:>{w_shape}} {b.n_checked:>8} {b.difference:>11.2e} "
            f"{worst:>9} {cs231n:>8} {int(b.kink.sum()):>6}  {'FAIL' if b.failing else 'ok'}"
        )
    lines = ["\n".join(rows), "", *report.summary()]
    if not report.passed:
        lines.append("worst components:")
        lines += [
            f"  {c.block}{list(c.index) if c.index else ''}: dθ={c.analytic:.6g} dθ_approx={c.numeric:.6g} "
            f"rel={c.rel_error:.1e}{' (kink)' if c.kink else ''}"
            for c in report.worst(5)
        ]
    return "\n".join(lines)
