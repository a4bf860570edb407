"""Sessions, presets, recent files and exports: round trips, and bad files that change nothing."""

import csv
import json

import pytest
from PySide6.QtGui import QImage

from gradviz.resource_paths import presets_dir
from gradviz.ui.check.heatmap_view import PRINT_DPI
from gradviz.ui.file_actions import presets


def test_save_and_load_round_trip(user, window, tmp_path):
    user.type_into("epsilonInput", "1e-5")
    user.choose("methodCombo", "richardson")
    user.choose("regularizationCombo", "l2")
    user.type_into("lambdaInput", "0.3")
    user.choose("bugCombo", "db_x4")
    user.type_into("sampleInput", "4")
    saved = window.session().to_dict()
    path = tmp_path / "mine.gradviz.json"
    assert window.save_session(path)
    user.choose("methodCombo", "centered")
    user.choose("regularizationCombo", "none")
    user.choose("bugCombo", "")
    assert window.session().to_dict() != saved
    assert window.load_session(path)
    assert window.session().to_dict() == saved
    assert window.session().spec.l2 == 0.3
    assert "mine.gradviz.json" in window.windowTitle()


def test_parameters_are_saved_only_when_asked(window, tmp_path):
    with_params, without = tmp_path / "with.gradviz.json", tmp_path / "without.gradviz.json"
    assert window.save_session(with_params)
    window.files.params_action.trigger()  # File > Include the parameters when saving: off
    assert window.app_settings.save_params() is False
    assert window.save_session(without)
    assert "params" in json.loads(with_params.read_text())
    assert "params" not in json.loads(without.read_text())


@pytest.mark.parametrize(
    ("content", "named"),
    [
        ("{not json", "not valid JSON"),
        (json.dumps({"format": "gradviz-session", "version": 99, "spec": {}}), "version 99"),
        (json.dumps({"format": "gradviz-session", "version": 1,
                     "spec": {"input_dim": 5, "layers": [{"units": 3, "activation": "linear"}]}}),
         "input size"),
    ],
    ids=["malformed", "wrong-version", "data-does-not-fit"],
)
def test_a_bad_session_shows_a_dialog_and_changes_nothing(window, tmp_path, dialogs, content, named):
    before, problem = window.session().to_dict(), window.problem
    path = tmp_path / "bad.gradviz.json"
    path.write_text(content)
    assert window.load_session(path) is False
    assert len(dialogs) == 1
    assert named in dialogs[0][1]
    assert window.session().to_dict() == before
    assert window.problem is problem
    assert window.app_settings.recent_files() == []


def test_recent_files_live_in_isolated_settings(window, tmp_path, isolated_settings):
    first, second = tmp_path / "a.gradviz.json", tmp_path / "b.gradviz.json"
    window.save_session(first)
    window.save_session(second)
    window.load_session(first)
    assert window.app_settings.recent_files() == [str(first), str(second)]
    assert list(isolated_settings.rglob("*.ini"))  # written under the test's folder
    window.files._fill_recent()
    assert [a.text() for a in window.files.recent_menu.actions()] == [str(first), str(second)]


def test_presets_menu_loads_every_preset(window):
    files = sorted(presets_dir().glob("*.json"))
    assert files
    actions = window.files.presets_menu.actions()
    assert [a.text() for a in actions] == [title for title, _ in presets()]
    for action, path in zip(actions, files, strict=True):
        action.trigger()
        assert window.problem is not None, path.name
        assert window.session().spec.to_dict() == json.loads(path.read_text())["spec"]
        assert window.path is None  # a preset is not the user's file: Save asks where


def test_exports_report_csv_and_heatmap_png(user, window, tmp_path):
    assert window.export_report(tmp_path / "none.csv") is False  # nothing checked yet
    report = user.run_check()
    csv_path, png_path = tmp_path / "report.csv", tmp_path / "heatmap.png"
    assert window.export_report(csv_path)
    rows = list(csv.reader(csv_path.read_text().splitlines()))
    assert rows[0] == ["block", "index", "analytic", "numeric", "abs_error", "rel_error", "kink",
                       "kind", "numeric_second"]
    assert len(rows) == 1 + report.n_checked
    assert window.export_heatmap(png_path)
    image = QImage(str(png_path))
    assert not image.isNull()
    heatmap = window.heatmap  # at print resolution (pyqtgraph's ImageExporter)
    assert image.width() == round(heatmap.width() * PRINT_DPI / heatmap.logicalDpiX())
