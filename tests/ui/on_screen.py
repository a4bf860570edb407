"""Tests that need a real screen size: test_docks_fit.py runs them in a fresh pytest process on a
simulated screen (QT_QPA_PLATFORM=offscreen:configfile=...). Not collected on their own (the name
does not start with test_)."""

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QApplication, QComboBox, QStyle, QStyleOptionComboBox

from gradviz.ui.classroom.presenter import PRESENTER_SCALE, apply_presenter
from gradviz.ui.main_window import MainWindow
from gradviz.ui.window_layout import LEFT_MOST, RIGHT_SHARE
from tests.modelfiles import write_project
from tests.ui.model_projects import DOUBLED_DW2

#: the Classroom menu's docks that open together in a lesson: quiz (left), ε sweep (bottom),
#: data and bias/variance (right)
CLASSROOM_DOCKS = ("classroom", "sweep", "data")


def assert_whole(table) -> None:
    """Every header word and every editor of the layer table whole and inside the table."""
    header = table.horizontalHeader()
    assert not table.horizontalScrollBar().isVisible()
    for column in range(table.columnCount()):
        assert header.sectionSize(column) >= header.sectionSizeHint(column), header.model().headerData(
            column, Qt.Orientation.Horizontal)
        for row in range(table.rowCount()):
            editor = table.cellWidget(row, column)
            assert editor.width() >= editor.sizeHint().width(), (row, column)
            assert editor.height() >= editor.sizeHint().height(), (row, column)
            right = editor.mapTo(table.viewport(), editor.rect().topRight()).x()
            assert right < table.viewport().width(), (row, column)


def first_start(qtbot) -> MainWindow:
    """The window of a first start on this screen (sized to it, the docks at their shares)."""
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_the_network_dock_fits_at_first_start(qtbot):
    window = first_start(qtbot)
    area, table = window.network_dock.widget(), window.builder.layerTable
    # laid out: the dock has its first-start share of the width, at most LEFT_MOST
    share = window.width() * LEFT_MOST
    qtbot.waitUntil(lambda: table.isVisible() and 0 < window.network_dock.width() <= share)
    assert not area.horizontalScrollBar().isVisible()
    assert area.viewport().width() >= window.builder.minimumSizeHint().width()
    assert_whole(table)


def test_classroom_docks_keep_the_window_inside_the_screen(qtbot, tmp_path):
    window = first_start(qtbot)
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


def cut_items(combo: QComboBox) -> list[str]:
    """The items of ``combo`` whose words are wider than the combo's text field."""
    option = QStyleOptionComboBox()
    combo.initStyleOption(option)
    field = combo.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, option,
                                         QStyle.SubControl.SC_ComboBoxEditField, combo).width()
    metrics = QFontMetrics(combo.font())
    texts = [combo.itemText(i) for i in range(combo.count())]
    return [text for text in texts if metrics.horizontalAdvance(text) > field]


def test_the_check_panel_combos_show_their_words(qtbot):
    window = first_start(qtbot)
    combos = window.check_panel.findChildren(QComboBox)
    assert len(combos) >= 7
    qtbot.waitUntil(lambda: window.check_dock.width() > 0 and window.check_panel.isVisible())
    assert {combo.objectName(): cut_items(combo) for combo in combos if cut_items(combo)} == {}
    size = QApplication.font().pointSizeF()
    apply_presenter(window, True)
    try:
        # presenter view laid out: full screen, the large font, the Check dock at least its share
        qtbot.waitUntil(lambda: window.isFullScreen() and not window.network_dock.isVisible()
                        and combos[0].font().pointSizeF() == size * PRESENTER_SCALE
                        and window.check_dock.width() >= window.width() * RIGHT_SHARE - 1)
        assert {combo.objectName(): cut_items(combo) for combo in combos if cut_items(combo)} == {}
    finally:
        apply_presenter(window, False)
