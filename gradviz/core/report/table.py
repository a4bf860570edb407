"""The report as text: a per-block table, the verdict, the diagnosis and the worst components,
with the conclusion on the last line (what `gradviz check` prints). ``block_rows`` and
``worst_lines`` are the same table and list for other renderings (the notebook's HTML)."""

from __future__ import annotations

from gradviz.core.report.check_report import MISMATCH, CheckReport

COLUMNS = ("block", "shape", "checked", "difference", "max rel", "cs231n", "kinks", "status")


def block_status(report: CheckReport, name: str) -> str:
    """"FAIL" (a bug), "explained" (disagrees for a reason that is not a bug) or "ok"."""
    b = report.blocks[name]
    if b.failing:
        return "FAIL"
    return "explained" if b.explained else "ok"


def block_rows(report: CheckReport) -> list[tuple[str, ...]]:
    """One row of cells per block, in COLUMNS order."""
    rows = []
    for name, b in report.blocks.items():
        rel = b.rel_error[b.checked]
        rows.append((
            name, "×".join(map(str, b.analytic.shape)) or "scalar", str(b.n_checked),
            f"{b.difference:.2e}", f"{rel.max():.1e}" if rel.size else "-",
            f"{b.cs231n_rel_error:.1e}" if rel.size else "-", str(int(b.kink.sum())),
            block_status(report, name),
        ))
    return rows


def worst_lines(report: CheckReport, n: int = 5) -> list[str]:
    """The n worst components, one line each: where, dθ, dθ_approx, relative error, kind; when
    the conclusion is "bug", the worst of the mismatched ones (those that show it)."""
    kinds = (MISMATCH,) if report.conclusion == "bug" else None
    return [
        f"{c.block}{list(c.index) if c.index else ''}: dθ={c.analytic:.6g} dθ_approx={c.numeric:.6g} "
        f"rel={c.rel_error:.1e} ({c.kind.replace('_', ' ')})"
        for c in report.worst(n, kinds=kinds)
    ]


def format_report(report: CheckReport) -> str:
    """A per-block table, the verdict, the worst components and the advice, then the conclusion."""
    table = [COLUMNS, *block_rows(report)]
    w_name = max([6, *(len(row[0]) for row in table)])
    w_shape = max([11, *(len(row[1]) for row in table)])
    rows = [
        f"{name:<{w_name}} {shape:>{w_shape}} {checked:>8} {difference:>11} {worst:>9} {cs231n:>8} "
        f"{kinks:>6}  {status}"
        for name, shape, checked, difference, worst, cs231n, kinks, status in table
    ]
    headline, *rest = report.summary()
    lines = ["\n".join(rows), "", *rest]
    if not report.passed or report.failing_blocks():
        lines += ["worst components:", *(f"  {line}" for line in worst_lines(report))]
    lines.append(headline)
    return "\n".join(lines)
