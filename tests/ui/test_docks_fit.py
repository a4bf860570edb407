"""The window and its docks fit real screens (1024×768 projector, 1366×768 laptop): with the
classroom's docks open it stays inside the screen (tests/ui/on_screen.py, run in a fresh process on
a simulated screen of each size); the Network dock needs no sideways scrolling; the check panel's
combo boxes show their whole words, in presenter view too."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from gradviz.core.model.spec import LayerSpec, NetworkSpec
from gradviz.ui.classroom.presenter import apply_presenter
from gradviz.ui.main_window import MainWindow
from tests.ui.on_screen import assert_whole

ROOT = Path(__file__).resolve().parents[2]
SIZES = [(1024, 768), (1366, 768)]


def run_on_screen(tmp_path: Path, width: int, height: int, test: str) -> subprocess.CompletedProcess:
    """Run one test of tests/ui/on_screen.py with a single screen of ``width`` × ``height``."""
    config = tmp_path / "screen.json"
    config.write_text(json.dumps({"screens": [{"name": "s", "x": 0, "y": 0, "width": width,
                                               "height": height, "logicalDpi": 96, "dpr": 1}]}))
    env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={config}", "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           f"tests/ui/on_screen.py::{test}"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize(("width", "height"), SIZES)
@pytest.mark.parametrize("test", ["test_classroom_docks_keep_the_window_inside_the_screen",
                                  "test_the_network_dock_fits_at_first_start",
                                  "test_the_check_panel_combos_show_their_words"])
def test_on_a_screen_of_this_size(tmp_path, width, height, test):
    done = run_on_screen(tmp_path, width, height, test)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "1 passed" in done.stdout


def first_start(qtbot, width: int, height: int) -> MainWindow:
    """A window shown for the first time at this size (the docks take their first-start shares)."""
    window = MainWindow()
    qtbot.addWidget(window)
    window.setWindowState(Qt.WindowState.WindowNoState)
    window.resize(width, height)
    window.show()
    qtbot.waitExposed(window)
    return window


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_network_dock_fits_a_deep_network(qtbot, width, height):
    window = first_start(qtbot, width, height)
    area, builder, table = window.network_dock.widget(), window.builder, window.builder.layerTable

    def laid_out() -> bool:  # the dock has its width (or the builder never fits: the wait fails)
        return table.isVisible() and area.viewport().width() >= builder.minimumSizeHint().width()

    qtbot.waitUntil(laid_out, timeout=2000)
    # "hidden 10" and the table's own vertical scroll bar still fit
    spec = window.builder.spec()
    deep = NetworkSpec(spec.input_dim, [LayerSpec(8, "leaky_relu")] * 10 + [spec.layers[-1]], loss=spec.loss)
    window.builder.set_spec(deep)
    qtbot.waitUntil(lambda: table.rowCount() == 11 and table.verticalScrollBar().isVisible())
    qtbot.waitUntil(laid_out, timeout=2000)
    assert not area.horizontalScrollBar().isVisible()
    assert_whole(table)


def test_presenter_view_gathers_the_open_side_docks_in_tabs_beside_check(qtbot, window):
    for key in ("classroom", "data"):
        window.classroom.show_dock(key)
    quiz, data = window.classroom.docks["classroom"], window.classroom.docks["data"]
    apply_presenter(window, True)
    try:
        qtbot.waitUntil(lambda: {quiz, data} <= set(window.tabifiedDockWidgets(window.check_dock)))
        assert window.check_dock.isVisible()  # Check in front, the others a click away
        assert not window.network_dock.isVisible()
    finally:
        apply_presenter(window, False)
    qtbot.waitUntil(lambda: window.dockWidgetArea(data) != window.dockWidgetArea(quiz))  # back


def test_the_layer_table_widens_with_presenter_views_font(qtbot, window):
    table = window.builder.layerTable
    normal = table.minimumWidth()
    apply_presenter(window, True)
    try:
        window.showNormal()
        window.resize(1366, 768)
        window.network_dock.show()  # the teacher brings the builder back
        qtbot.waitUntil(lambda: table.isVisible() and table.minimumWidth() > normal)
        qtbot.waitUntil(lambda: table.width() >= table.minimumWidth())
        assert_whole(table)
    finally:
        apply_presenter(window, False)
