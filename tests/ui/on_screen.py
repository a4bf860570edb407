"""Tests that need a real screen size: test_docks_fit.py runs them in a fresh pytest process on a
simulated screen (QT_QPA_PLATFORM=offscreen:configfile=...). Not collected on their own (the name
does not start with test_)."""

from PySide6.QtWidgets import QApplication

from gradviz.ui.main_window import MainWindow
from tests.modelfiles import write_project
from tests.ui.model_projects import DOUBLED_DW2

#: the Classroom menu's docks that open together in a lesson: quiz (left), ε sweep (bottom),
#: data and bias/variance (right)
CLASSROOM_DOCKS = ("classroom", "sweep", "data")


def test_classroom_docks_keep_the_window_inside_the_screen(qtbot, tmp_path):
    window = MainWindow()  # a first start: sized to this screen
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    available = QApplication.primaryScreen().availableGeometry()
    with qtbot.waitSignal(window.check_finished, timeout=30_000):
        assert window.load_model_file(write_project(tmp_path, model=DOUBLED_DW2), trust=True)
    docks = [window.classroom.docks[key] for key in CLASSROOM_DOCKS]
    for key in CLASSROOM_DOCKS:
        window.classroom.show_dock(key)
    # laid out: each dock has its place on screen (the window has taken its new minimum size)
    qtbot.waitUntil(lambda: all(not dock.visibleRegion().isEmpty() for dock in docks))
    assert available.contains(window.frameGeometry()), (window.frameGeometry(), available)
    hint = window.minimumSizeHint()
    assert hint.height() <= available.height(), hint
    assert hint.width() <= available.width(), hint
