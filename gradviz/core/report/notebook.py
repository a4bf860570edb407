"""How a CheckReport shows in a notebook: a one-line repr, and HTML with the conclusion, the lectures'
difference, the per-block table of ``gradviz check``, the diagnosis and the heatmap inline."""

from __future__ import annotations

import base64
import html

from gradviz.core.report.check_report import CheckReport
from gradviz.core.report.levels import REL_LEVELS, REL_TICKS
from gradviz.core.report.picture import report_png
from gradviz.core.report.table import COLUMNS, block_rows, worst_lines

BADGE_COLOURS = {"correct": "#1a7f37", "bug": "#cf222e", "inconclusive": "#9a6700"}


def report_repr(report: CheckReport) -> str:
    """One line: conclusion, difference and status, what was checked, the failing blocks."""
    failing = report.failing_blocks()
    return (f"<CheckReport {report.conclusion}: difference {report.difference:.2e} ({report.status}), "
            f"{report.n_checked} components in {len(report.blocks)} blocks"
            + (f", failing {', '.join(failing)}" if failing else "") + ">")


def _table(report: CheckReport) -> str:
    numeric = {"checked", "difference", "max rel", "cs231n", "kinks"}
    fail = f"<b style=\"color:{BADGE_COLOURS['bug']}\">FAIL</b>"
    head = "".join(f"<th>{html.escape(c)}</th>" for c in COLUMNS)
    body = []
    for row in block_rows(report):
        cells = "".join(
            f"<td style=\"text-align:{'right' if col in numeric else 'left'}\">"
            f"{fail if cell == 'FAIL' else html.escape(cell)}</td>"
            for col, cell in zip(COLUMNS, row, strict=True)
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _scale_note() -> str:
    lo, hi = (int(v) for v in REL_LEVELS)
    marks = ", ".join(label for _, label in REL_TICKS)
    return (f"relative error per component, log scale from 1e{lo} (dark) to 1e{hi} (yellow), "
            f"ticks at {marks}; mid grey: at the noise floor (striped: both gradients ≈ 0); "
            f"light grey: not checked; white hatched square: crossed a kink")


def report_html(report: CheckReport) -> str:
    """A self-contained HTML fragment (the heatmap is an inline base64 PNG)."""
    colour = BADGE_COLOURS[report.conclusion]
    badge = (f"<span style=\"background:{colour};color:white;border-radius:4px;padding:2px 8px;"
             f"font-weight:bold\">{report.conclusion}</span>")
    sentences = "".join(f"<li>{html.escape(s)}</li>" for s in report.summary()[1:])
    worst = ""
    if not report.passed:
        items = "".join(f"<li><code>{html.escape(line)}</code></li>" for line in worst_lines(report))
        worst = f"<details><summary>worst components</summary><ul>{items}</ul></details>"
    png = base64.b64encode(report_png(report)).decode("ascii")
    names = " · ".join(html.escape(name) for name in report.blocks)
    return (
        "<div class=\"gradviz-report\">"
        f"<p>{badge} {html.escape(report.headline().partition(': ')[2])}</p>"
        f"{_table(report)}"
        + (f"<ul>{sentences}</ul>" if sentences else "")
        + worst
        + f"<figure style=\"margin:0.5em 0\"><img alt=\"heatmap of {names}\" "
        f"src=\"data:image/png;base64,{png}\"/>"
        f"<figcaption style=\"font-size:smaller\">blocks {names} (each layer a row, W beside b); "
        f"{_scale_note()}</figcaption></figure>"
        "</div>"
    )
