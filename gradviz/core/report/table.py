"""The report as text: a per-block table, the verdict, the diagnosis and the worst components
(what `gradviz check` prints). ``block_rows`` and ``worst_lines`` are the same table and list for
other renderings (the notebook's HTML)."""

from __future__ import annotations

from gradviz.core.report.check_report import CheckReport

COLUMNS = ("block", "shape", "checked", "difference", "max rel", "cs231n", "kinks", "status")


def block_rows(report: CheckReport) -> list[tuple[str, ...]]:
    """One row of cells per block, in COLUMNS order."""
    rows = []
    for name, b in report.blocks.items():
        rel = b.rel_error[b.checked]
        rows.append((
            name, "×".join(map(str, b.analytic.shape)) or "scalar", str(b.n_checked),
            f"{b.difference:.2e}", f"{rel.max():.1e}" if rel.size else "-",
            f"{b.cs231n_rel_error:.1e}" if rel.size else "-", str(int(b.kink.sum())),
            "FAIL" if b.failing else "ok",
        ))
    return rows


def worst_lines(report: CheckReport, n: int = 5) -> list[str]:
    """The n worst components, one line each: where, dθ, dθ_approx, relative error."""
    return [
        f"{c.block}{list(c.index) if c.index else ''}: dθ={c.analytic:.6g} dθ_approx={c.numeric:.6g} "
        f"rel={c.rel_error:.1e}{' (kink)' if c.kink else ''}"
        for c in report.worst(n)
    ]


def format_report(report: CheckReport) -> str:
    """A per-block table, then the verdict, the worst components and the advice."""
    table = [COLUMNS, *block_rows(report)]
    w_name = max([6, *(len(row[0]) for row in table)])
    w_shape = max([11, *(len(row[1]) for row in table)])
    rows = [
        f"{name:<{w_name}} {shape:>{w_shape}} {checked:>8} {difference:>11} {worst:>9} {cs231n:>8} "
        f"{kinks:>6}  {status}"
        for name, shape, checked, difference, worst, cs231n, kinks, status in table
    ]
    lines = ["\n".join(rows), "", *report.summary()]
    if not report.passed:
        lines.append("worst components:")
        lines += [f"  {line}" for line in worst_lines(report)]
    return "\n".join(lines)
