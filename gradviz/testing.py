"""Gradient checks as test assertions, for pytest or any test runner.

    from gradviz.testing import assert_gradients

    def test_affine_layer():
        assert_gradients(affine_forward, affine_backward, x, w, b)   # a CS231n layer
        assert_gradients(model, X, y, sample=20)                       # any model

A failing check raises AssertionError with what ``gradviz check`` prints (the per-block table,
the verdict, the diagnosis in sentences, the worst components) and leaves the heatmap (PNG), the
components (CSV) and the report (HTML) in a folder the message names: ``$GRADVIZ_ARTIFACTS`` if
set, else the running pytest test's ``tmp_path``, else a new temporary folder.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from pathlib import Path

from gradviz.core.check.gradcheck import gradient_check
from gradviz.core.report.check_report import CheckReport
from gradviz.core.report.notebook import report_html
from gradviz.core.report.picture import report_png
from gradviz.core.report.table import format_report

ARTIFACTS_ENV = "GRADVIZ_ARTIFACTS"
HEADLINES = {
    "bug": "backprop's gradient is wrong",
    "inconclusive": "the check could not tell whether backprop's gradient is right",
}

__all__ = ["ARTIFACTS_ENV", "artifacts_folder", "assert_gradients"]


def assert_gradients(model, *args, dout=None, wrt=None, seed: int = 0, artifacts=None,
                     **check_options) -> CheckReport:
    """Gradient-check ``model`` and return the report; raise AssertionError unless its conclusion
    is "correct".

    model: a model (``.params`` and ``.loss(X, y)``), followed by X and y when it needs them; or
    a CS231n layer, ``assert_gradients(forward, backward, *forward_args)``, checked through
    ``gradviz.layer_model`` with ``dout``, ``wrt`` and ``seed`` (which also seeds sampling).
    artifacts: the folder for the heatmap, CSV and HTML of a failing check (see the module doc).
    check_options: passed to ``gradviz.gradient_check`` (epsilon, method, sample, blocks, ...).
    """
    if _is_layer(model, args):
        from gradviz import layer_model

        forward, backward, *forward_args = (model, *args)
        checked = layer_model(forward, backward, *forward_args, dout=dout, seed=seed, wrt=wrt)
        label, X, y = _name_of(forward), None, None
    else:
        if dout is not None or wrt is not None:
            raise ValueError("dout and wrt apply to a layer: assert_gradients(forward, backward, *args)")
        if len(args) > 2:
            raise ValueError(f"a model takes at most X and y after it; got {len(args)} arguments")
        checked, label = model, _name_of(model)
        X, y = (*args, None, None)[:2]
    report = gradient_check(checked, X, y, seed=seed, **check_options)
    if report.conclusion != "correct":
        files = write_artifacts(report, artifacts_folder(artifacts), label)
        raise AssertionError(failure_message(report, label, files))
    return report


def _is_layer(model, args: tuple) -> bool:
    """forward and backward functions, rather than an object with .params and .loss."""
    return (callable(model) and not hasattr(model, "params") and bool(args) and callable(args[0])
            and not hasattr(args[0], "params"))


def _name_of(thing) -> str:
    name = getattr(thing, "__name__", None) or type(thing).__name__
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "model"


def artifacts_folder(folder: str | os.PathLike | None = None) -> Path:
    """Where a failing check leaves its files: ``folder`` if given, else ``$GRADVIZ_ARTIFACTS``,
    else the running pytest test's ``tmp_path``, else a new temporary folder."""
    chosen = folder or os.environ.get(ARTIFACTS_ENV) or _pytest_tmp_path()
    if chosen is None:
        return Path(tempfile.mkdtemp(prefix="gradviz-"))
    path = Path(chosen)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _pytest_tmp_path() -> Path | None:
    plugin = sys.modules.get("gradviz.pytest_plugin")  # loaded only by pytest
    return None if plugin is None else plugin.current_tmp_path()


def write_artifacts(report: CheckReport, folder: Path, label: str) -> dict[str, Path]:
    """Write ``<label>-heatmap.png``, ``-components.csv`` and ``-report.html`` into ``folder``
    (numbered ``<label>-2-...`` when a previous check of the same name left its files there)."""
    stem, n = label, 1
    while any(folder.glob(f"{stem}-*")):
        n += 1
        stem = f"{label}-{n}"
    files = {kind: folder / f"{stem}-{name}" for kind, name in
             (("heatmap", "heatmap.png"), ("components", "components.csv"), ("report", "report.html"))}
    files["heatmap"].write_bytes(report_png(report))
    report.to_csv(str(files["components"]))
    files["report"].write_text(report_html(report), encoding="utf-8")
    return files


def failure_message(report: CheckReport, label: str, files: dict[str, Path]) -> str:
    """The headline, the ``gradviz check`` text of the report, and where its files are."""
    lines = [f"gradient check of {label}: {report.conclusion}: {HEADLINES[report.conclusion]}",
             format_report(report), ""]
    lines += [f"{kind}: {path}" for kind, path in files.items()]
    return "\n".join(lines)
