"""While training and checks run in Python threads, garbage is collected in the GUI thread only:
a collection in a worker thread could destroy Qt objects that belong to the GUI thread."""

import gc
import threading
from typing import ClassVar

from test_training_panel import make_problem

from gradviz.core.data.session import TrainingSettings
from gradviz.ui.training.training_panel import TrainingPanel


class Cycle:
    """An object in a reference cycle that records the thread that collected it."""

    collected_in: ClassVar[list[int]] = []

    def __init__(self) -> None:
        self.me = self

    def __del__(self) -> None:
        Cycle.collected_in.append(threading.get_ident())


def test_cycles_made_while_training_are_collected_in_the_gui_thread(qtbot):
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    assert not gc.isenabled()  # a panel that trains in a thread turned the automatic collector off
    panel.set_problem(make_problem(), TrainingSettings("sgd", 0.1, 16))
    Cycle.collected_in.clear()
    automatic = gc.isenabled()
    gc.disable()  # the cycles wait for the next collection, wherever it happens
    for _ in range(3000):
        Cycle()
    if automatic:
        gc.enable()
    panel.play()
    qtbot.waitUntil(lambda: len(Cycle.collected_in) == 3000, timeout=10_000)
    panel.shutdown()
    assert set(Cycle.collected_in) == {threading.get_ident()}
