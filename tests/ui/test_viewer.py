"""gradviz.show opens the window on a report or a model: at once in IPython, blocking in a script;
and says in one line why it cannot where Qt could not open a window."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

import gradviz
from gradviz import viewer
from gradviz.ui import MainWindow

ROOT = Path(__file__).resolve().parents[2]
needs_show_report = pytest.mark.skipif(not hasattr(MainWindow, "show_report"),
                                       reason="this MainWindow has no show_report(report)")


def buggy_net():
    spec = gradviz.NetworkSpec(2, [gradviz.LayerSpec(4, "tanh"), gradviz.LayerSpec(3, "linear")],
                               loss="softmax_ce")
    net = gradviz.Network(spec)
    net.inject_bug("dW_x2", 2)
    rng = np.random.default_rng(0)
    return net, rng.standard_normal((2, 5)), np.array([0, 1, 2, 0, 1])


class LoopProbe:
    """Quits the event loop from inside it, and tells whether an event loop ran."""

    def __init__(self, qtbot) -> None:
        self.ran = False
        self.timer = QTimer(singleShot=True, interval=0)
        self.timer.timeout.connect(self._quit)
        self.timer.start()

    def _quit(self) -> None:
        self.ran = True
        QApplication.instance().quit()

    def stop(self) -> None:
        self.timer.stop()


class FakeShell:
    """The two things gradviz.show asks of an IPython shell."""

    def __init__(self, active_eventloop):
        self.active_eventloop = active_eventloop
        self.enabled = []

    def enable_gui(self, gui):
        self.enabled.append(gui)
        self.active_eventloop = gui


@pytest.fixture
def ipython(monkeypatch):
    IPython = pytest.importorskip("IPython")

    def with_loop(active_eventloop):
        shell = FakeShell(active_eventloop)
        monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
        return shell

    return with_loop


@needs_show_report
def test_in_a_script_show_runs_the_app_until_it_quits(qtbot):
    net, X, y = buggy_net()
    report = gradviz.gradient_check(net, X, y)
    probe = LoopProbe(qtbot)
    window = gradviz.show(report)
    qtbot.addWidget(window)
    assert probe.ran
    assert window.report is report


@needs_show_report
@pytest.mark.parametrize("loop", ["qt", None])
def test_in_ipython_show_returns_at_once_with_the_qt_loop_on(qtbot, ipython, loop):
    shell = ipython(loop)
    net, X, y = buggy_net()
    probe = LoopProbe(qtbot)
    window = gradviz.show(net, X, y)
    qtbot.addWidget(window)
    probe.stop()
    assert not probe.ran
    assert shell.enabled == ([] if loop else ["qt"])
    assert window.isVisible()
    assert window in viewer._windows
    assert window.report.failing_blocks() == gradviz.gradient_check(net, X, y).failing_blocks() == ["W2"]


def test_without_a_display_show_says_what_to_set():
    code = ("import numpy as np, gradviz\n"
            "from gradviz.core.report.check_report import BlockResult, CheckReport\n"
            "a = np.ones((2, 2))\n"
            "gradviz.show(CheckReport({'W1': BlockResult('W1', a, a, np.zeros((2, 2), bool))}))\n")
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "RuntimeError: no display to open the window on (DISPLAY is not set): start gradviz in a "
        "desktop session, or set QT_QPA_PLATFORM=offscreen to run without a screen")
