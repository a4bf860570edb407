"""Train N iterations: exactly N steps in the background, then paused (what "about 100
iterations" in a lesson needs; Play and Pause cannot stop at a number)."""

from PySide6.QtCore import Qt


def train_n(qtbot, window, n: int) -> None:
    panel = window.training_panel
    panel.trainItersInput.setValue(n)
    with qtbot.waitSignal(panel.running_changed, check_params_cb=lambda running: not running,
                          timeout=30_000):
        qtbot.mouseClick(panel.trainItersButton, Qt.MouseButton.LeftButton)


def test_exactly_n_iterations_then_paused(qtbot, window):
    panel = window.training_panel
    train_n(qtbot, window, 100)
    assert panel.trainer.iteration == 100
    assert not panel.is_running()
    assert panel.trainButton.text() == "Play"
    assert panel.plots.record_count() == 100
    assert "iteration 100 " in panel.trainingStatus.text()
    train_n(qtbot, window, 37)  # continues from where it paused
    assert panel.trainer.iteration == 137


def test_train_n_while_playing_counts_from_the_pause(qtbot, window):
    panel = window.training_panel
    panel.play()
    qtbot.waitUntil(lambda: panel.trainer.iteration > 0, timeout=10_000)
    paused_at = []
    panel.running_changed.connect(lambda running: running or paused_at.append(panel.trainer.iteration))
    panel.train_iterations(5)  # pauses first (the thread finishes its step), then 5 more
    qtbot.waitUntil(lambda: len(paused_at) == 2, timeout=10_000)
    assert panel.trainer.iteration == paused_at[0] + 5 == paused_at[1]
    assert panel.trainItersButton.isEnabled()
