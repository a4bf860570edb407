"""Fitting a window to the screen it opens on: a first start fills most of the available area
(all of it on small screens such as a 1024×768 projector), and a remembered geometry from a
bigger screen is pulled back inside this one."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QGuiApplication, QScreen
from PySide6.QtWidgets import QWidget

#: below this available size the window is maximized at first start
SMALL_SCREEN = QSize(1400, 860)
#: the share of a larger screen a first window takes
FIRST_SHARE = 0.9


def screen_of(widget: QWidget) -> QScreen | None:
    return widget.screen() or QGuiApplication.primaryScreen()


def first_geometry(available: QRect) -> tuple[QRect, bool]:
    """(geometry, maximize) for a window opened for the first time on ``available``."""
    small = available.width() < SMALL_SCREEN.width() or available.height() < SMALL_SCREEN.height()
    if small:
        return QRect(available), True
    size = QSize(round(available.width() * FIRST_SHARE), round(available.height() * FIRST_SHARE))
    rect = QRect(available.topLeft(), size)
    rect.moveCenter(available.center())
    return rect, False


def clamped(frame: QRect, available: QRect) -> QRect:
    """``frame`` shrunk to fit ``available`` and moved inside it."""
    rect = QRect(frame.topLeft(), frame.size().boundedTo(available.size()))
    rect.moveLeft(min(max(rect.left(), available.left()), available.right() - rect.width() + 1))
    rect.moveTop(min(max(rect.top(), available.top()), available.bottom() - rect.height() + 1))
    return rect


def fit_first(window: QWidget) -> None:
    """Size and place ``window`` for a first start on its screen (before it is shown)."""
    screen = screen_of(window)
    if screen is None:
        return
    rect, maximize = first_geometry(screen.availableGeometry())
    window.setGeometry(rect)
    if maximize:
        window.setWindowState(window.windowState() | Qt.WindowState.WindowMaximized)


def clamp_to_screen(window: QWidget) -> None:
    """Keep a restored window's frame inside the available area of its screen."""
    screen = screen_of(window)
    if screen is None or window.isMaximized() or window.isFullScreen():
        return
    available = screen.availableGeometry()
    frame = window.frameGeometry()
    inside = clamped(frame, available)
    if inside != frame:
        extra = frame.size() - window.geometry().size()  # the window manager's decorations
        window.resize((inside.size() - extra).expandedTo(QSize(1, 1)))
        window.move(inside.topLeft())
