"""The window fits real screens: a first start fills the screen it opens on (checked on simulated
1024×768 and 1366×768 screens), a remembered geometry from a bigger screen comes back inside a
smaller one, the minimum size fits 1024×768 (presenter view too), and Run / Quick check / Cancel
are always in view. Renders each size to PNG (set GRADVIZ_SCREENSHOTS to keep them)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QPushButton

from gradviz.ui.classroom.presenter import apply_presenter
from gradviz.ui.common.screen import clamped, first_geometry
from gradviz.ui.common.theme import apply_theme
from gradviz.ui.main_window import MainWindow
from tests.ui.conftest import User

ROOT = Path(__file__).resolve().parents[2]
SIZES = [(1024, 768), (1366, 768)]
BUTTONS = ("runCheckButton", "quickCheckButton", "cancelCheckButton")

PROBE = """
import json
from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QPushButton
from gradviz.ui.app import application
from gradviz.ui.main_window import MainWindow
app = application()
window = MainWindow()
window.show()
loop = QEventLoop(); QTimer.singleShot(300, loop.quit); loop.exec()
frame = window.frameGeometry()
buttons = {}
for name in ("runCheckButton", "quickCheckButton", "cancelCheckButton"):
    b = window.findChild(QPushButton, name)
    r = b.rect().translated(b.mapTo(window, b.rect().topLeft()))
    buttons[name] = [r.x(), r.y(), r.width(), r.height(), b.visibleRegion().boundingRect() == b.rect()]
available = window.screen().availableGeometry()
print(json.dumps({"frame": [frame.x(), frame.y(), frame.width(), frame.height()],
                  "window": [window.width(), window.height()], "buttons": buttons,
                  "available": [available.x(), available.y(), available.width(), available.height()]}))
window.close()
"""


def run_on_screen(tmp_path, width: int, height: int) -> dict:
    """Start the window in a fresh process on a simulated screen of this size (settings kept in
    tmp_path between calls, as between two starts of the app)."""
    config = tmp_path / f"screen-{width}x{height}.json"
    config.write_text(json.dumps({"screens": [{"name": "s", "x": 0, "y": 0, "width": width,
                                               "height": height, "logicalDpi": 96, "dpr": 1}]}))
    env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={config}", "PYTHONPATH": str(ROOT),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data")}
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True,
                         timeout=120, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def inside(rect, area) -> bool:
    x, y, w, h = rect
    ax, ay, aw, ah = area
    return ax <= x and ay <= y and x + w <= ax + aw and y + h <= ay + ah


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_first_start_fills_the_screen_and_shows_the_buttons(tmp_path, width, height):
    seen = run_on_screen(tmp_path, width, height)
    assert seen["available"] == [0, 0, width, height]
    assert inside(seen["frame"], seen["available"])
    assert seen["window"][0] >= 0.9 * width  # small screens: all of it
    for name, (x, y, w, h, whole) in seen["buttons"].items():
        assert whole, name  # not clipped, not scrolled away
        assert inside([x, y, w, h], [0, 0, *seen["window"]]), name


def test_a_geometry_from_a_big_screen_is_pulled_inside_a_small_one(tmp_path):
    big = run_on_screen(tmp_path, 1920, 1080)  # remembered at close
    assert big["window"][0] > 1366
    small = run_on_screen(tmp_path, 1024, 768)
    assert inside(small["frame"], small["available"])


def test_screen_arithmetic():
    rect, maximize = first_geometry(QRect(0, 0, 1024, 768))
    assert maximize
    assert rect == QRect(0, 0, 1024, 768)
    rect, maximize = first_geometry(QRect(0, 0, 1920, 1080))
    assert not maximize
    assert QRect(0, 0, 1920, 1080).contains(rect)
    assert rect.width() == 1728
    assert clamped(QRect(500, 300, 1280, 800), QRect(0, 0, 1024, 768)) == QRect(0, 0, 1024, 768)
    assert clamped(QRect(-50, 700, 400, 300), QRect(0, 0, 1024, 768)) == QRect(0, 468, 400, 300)


# -- in this process: sizes, presenter view, screenshots ---------------------------------------------
def sized(window, qtbot, width: int, height: int) -> None:
    window.setWindowState(Qt.WindowState.WindowNoState)
    window.resize(width, height)
    qtbot.waitUntil(lambda: window.size().width() == width and window.size().height() == height)


@pytest.mark.parametrize(("width", "height"), SIZES)
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_buttons_in_view_at_each_size_and_theme(qtbot, user, window, tmp_path, width, height, theme):
    apply_theme(theme)
    try:
        sized(window, qtbot, width, height)
        user.run_check()
        frame = window.rect()
        for name in BUTTONS:
            button = user.find(QPushButton, name)
            corner = button.mapTo(window, button.rect().topLeft())
            assert frame.contains(QRect(corner, button.size())), name
            assert button.visibleRegion().boundingRect() == button.rect(), name
        assert window.minimumSizeHint().width() <= 1024
        assert window.minimumSizeHint().height() <= 768
        folder = Path(os.environ.get("GRADVIZ_SCREENSHOTS", tmp_path))
        folder.mkdir(parents=True, exist_ok=True)
        assert window.grab().save(str(folder / f"window-{width}x{height}-{theme}.png"))
    finally:
        apply_theme("light")


def test_presenter_view_fits_1024x768(qtbot, user, window, tmp_path):
    sized(window, qtbot, 1024, 768)
    user.run_check()
    apply_presenter(window, True)
    try:
        window.showNormal()
        sized(window, qtbot, 1024, 768)
        qtbot.waitUntil(lambda: not window.network_dock.isVisible())
        hint = window.minimumSizeHint()
        assert hint.width() <= 1024
        assert hint.height() <= 768
        assert window.heatmap.width() > 0.5 * window.width()  # the heatmap takes most of it
        for name in BUTTONS:
            button = user.find(QPushButton, name)
            assert button.visibleRegion().boundingRect() == button.rect(), name
            assert button.width() >= button.sizeHint().width()  # the text is not cut
        folder = Path(os.environ.get("GRADVIZ_SCREENSHOTS", tmp_path))
        folder.mkdir(parents=True, exist_ok=True)
        assert window.grab().save(str(folder / "presenter-1024x768.png"))
    finally:
        apply_presenter(window, False)
    qtbot.waitUntil(window.network_dock.isVisible)  # the layout comes back


TRAINING_BUTTONS = ("trainButton", "stepButton", "resetTrainingButton", "checkNowButton", "trainItersButton")


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_training_tab_fits_without_scrolling_sideways(qtbot, width, height):
    window = MainWindow()  # shown first at this size: the docks take their first-start shares
    qtbot.addWidget(window)
    window.setWindowState(Qt.WindowState.WindowNoState)
    window.resize(width, height)
    window.show()
    qtbot.waitExposed(window)
    user = User(qtbot, window)
    window.training_dock.raise_()
    area, panel = window.training_dock.widget(), window.training_panel
    qtbot.waitUntil(lambda: panel.isVisible() and area.viewport().width() >= panel.minimumSizeHint().width())
    assert not area.horizontalScrollBar().isVisible()
    for name in TRAINING_BUTTONS:
        button = user.find(QPushButton, name)
        left = button.mapTo(area.viewport(), button.rect().topLeft()).x()
        assert left >= 0, name  # not cut off on either side
        assert left + button.width() <= area.viewport().width(), name
        assert button.width() >= button.sizeHint().width(), name
