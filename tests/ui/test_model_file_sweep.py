"""The ε sweep on a user's model file: the model itself, in its own dtype, off the GUI thread, its
parameters bit for bit as they were after; the pinned component (else the worst); Run waits
while a check or training moves the parameters, a check stops a running sweep, training waits
for the sweep; the user's exception in the status line with file:line; a session brings the
built-in network back to the sweep."""

import numpy as np
import pytest

from gradviz.core.check.modelfile import load_model_file
from gradviz.core.model.network import Network
from gradviz.ui.common.unavailable import unavailable_reason
from gradviz.ui.model_file.model_sweep import CHECK_MOVES, STOPPED_FOR_CHECK, TRAINING_MOVES, TRAINING_WAITS
from tests.modelfiles import write_project
from tests.ui.model_projects import RAISES_FAR, RAISES_FAR_LINE, RECORDING
from tests.ui.test_model_file import open_model

WAIT = 20_000
OWN = {("float64", "centered"), ("float64", "forward")}


def pin(window, block: str, index: tuple[int, ...]) -> None:
    """Click a component of the heatmap (the inspector pins it)."""
    window.heatmap.clicked.emit(window.heatmap.component(block, index))
    assert (window.inspector.component.block, tuple(window.inspector.component.index)) == (block, index)


def snapshot(model) -> dict[str, bytes]:
    return {name: value.tobytes() for name, value in model.params.items()}


def by_hand(path, block: str, index: tuple[int, ...], eps: float) -> tuple[float, float]:
    """|centered − analytic| and |one-sided − analytic| for one component, from a fresh import of
    the file (the same θ): the differences written out here."""
    loaded = load_model_file(path)
    model, X, y = loaded.model, loaded.X, loaded.y
    J0, grads = model.loss(X, y)
    theta = model.params[block]
    old = theta[index]
    theta[index] = old + eps
    plus = model.loss(X, y)[0]
    theta[index] = old - eps
    minus = model.loss(X, y)[0]
    theta[index] = old
    analytic = grads[block][index]
    return abs((plus - minus) / (2 * eps) - analytic), abs((plus - J0) / eps - analytic)


def test_the_sweep_runs_on_the_pinned_component_of_the_users_model(qtbot, window, tmp_path):
    path = write_project(tmp_path, model=RECORDING)
    open_model(qtbot, window, path)
    c = window.classroom
    assert c.sweep.isEnabled()
    assert unavailable_reason(c.sweep) is None
    assert c.actions["sweep"].isEnabled()
    pin(window, "W1", (1, 2))
    model = window.model_file.current.loaded.model
    assert c.sweep.target()[0] is model
    before = snapshot(model)
    on_main_thread = model.loss.__globals__["ON_MAIN_THREAD"]
    on_main_thread.clear()
    with qtbot.waitSignal(c.sweep.finished, timeout=WAIT) as done:
        c.actions["sweep"].trigger()  # Classroom ▸ ε sweep of the selected component
    sweep = done.args[0]
    assert (sweep.block, sweep.index) == ("W1", (1, 2))
    assert set(sweep.curves) == set(c.sweep.curves) == OWN  # float64 only: the model's own dtype
    assert "float64 curves only" in c.sweep.status.text()
    assert on_main_thread
    assert not any(on_main_thread)  # every evaluation of the user's loss ran in a worker
    assert snapshot(model) == before  # θ restored bit for bit
    eps, centered = sweep.curves[("float64", "centered")]
    _, forward = sweep.curves[("float64", "forward")]
    for e in (1e-2, 1e-4, 1e-6):
        j = int(np.flatnonzero(np.isclose(eps, e))[0])
        hand_centered, hand_forward = by_hand(path, "W1", (1, 2), eps[j])
        assert centered[j] == pytest.approx(hand_centered, rel=1e-6)
        assert forward[j] == pytest.approx(hand_forward, rel=1e-6)


def test_the_worst_component_is_swept_when_none_is_pinned_and_the_pin_survives_a_save(
        qtbot, window, tmp_path):
    path = write_project(tmp_path)
    report = open_model(qtbot, window, path)
    c = window.classroom
    worst = report.worst(1)[0]
    assert c.sweep.target()[3:] == (worst.block, tuple(worst.index))
    pin(window, "b2", (1,))
    first = window.model_file.current.loaded.model
    path.write_text(path.read_text() + "\n", encoding="utf-8")
    with qtbot.waitSignal(window.check_finished, timeout=WAIT):
        window.model_file.reload()
    model, *_, block, index = c.sweep.target()
    assert model is window.model_file.current.loaded.model is not first
    assert (block, index) == ("b2", (1,))


def test_run_waits_while_a_check_or_training_moves_the_parameters(qtbot, window, tmp_path):
    path = write_project(tmp_path)
    first = open_model(qtbot, window, path)
    c, training = window.classroom, window.training_panel
    pin(window, "W2", (0, 1))
    model = window.model_file.current.loaded.model
    before = snapshot(model)
    # a check: Run is off, with the reason in its tooltip and the status line
    with qtbot.waitSignal(window.check_finished, timeout=WAIT) as checked:
        assert window.run_check()
        reason = CHECK_MOVES.format(name="model.py")
        assert not c.sweep.run_button.isEnabled()
        assert c.sweep.held() == reason == c.sweep.status.text() == c.sweep.run_button.toolTip()
    assert c.sweep.run_button.isEnabled()
    assert c.sweep.held() is None
    assert np.array_equal(checked.args[0].blocks["W2"].numeric, first.blocks["W2"].numeric)
    # training: Run is off until it is paused
    training.play()
    assert training.is_running()
    assert c.sweep.held() == TRAINING_MOVES.format(name="model.py")
    assert not c.sweep.run_button.isEnabled()
    training.pause()
    qtbot.waitUntil(lambda: c.sweep.held() is None)
    assert c.sweep.run_button.isEnabled()
    training.reset()
    assert snapshot(model) == before
    # a sweep: training waits for it
    with qtbot.waitSignal(c.sweep.finished, timeout=WAIT):
        c.sweep.run_button.click()
        assert not training.isEnabled()
        assert training.toolTip() == TRAINING_WAITS
    assert training.isEnabled()
    # a check started during a sweep stops it first, then checks θ as it was
    c.sweep.run()
    with qtbot.waitSignal(window.check_finished, timeout=WAIT) as checked:
        assert window.run_check()
        assert not c.sweep.is_running()
        assert c.sweep.status.text() == CHECK_MOVES.format(name="model.py")
    assert c.sweep.status.text() == STOPPED_FOR_CHECK.format(name="model.py")
    assert np.array_equal(checked.args[0].blocks["W2"].numeric, first.blocks["W2"].numeric)
    assert snapshot(model) == before


def test_an_exception_in_the_sweep_shows_file_and_line_and_keeps_the_model(qtbot, window, tmp_path):
    path = write_project(tmp_path, model=RAISES_FAR)
    report = open_model(qtbot, window, path)  # the check's ε never moves W1[0, 0] that far
    assert report.conclusion == "correct"
    c = window.classroom
    pin(window, "W1", (0, 0))
    model = window.model_file.current.loaded.model
    before = snapshot(model)
    with qtbot.waitSignal(c.sweep.failed, timeout=WAIT) as failed:
        c.sweep.run_button.click()
    status = c.sweep.status.text()
    assert failed.args[0] in status
    assert "FloatingPointError: W1[0, 0] moved by more than 1e-3" in status
    assert f"model.py:{RAISES_FAR_LINE}" in status
    assert f'line {RAISES_FAR_LINE}, in loss' in c.sweep.status.toolTip()  # the user's traceback
    assert snapshot(model) == before
    assert c.sweep.run_button.isEnabled()
    pin(window, "W1", (0, 1))  # a component the exception does not watch sweeps fine
    with qtbot.waitSignal(c.sweep.finished, timeout=WAIT):
        c.sweep.run_button.click()
    assert snapshot(model) == before


def test_a_session_opened_after_a_model_file_sweeps_the_built_in_network(qtbot, user, window, tmp_path):
    session = tmp_path / "demo.gradviz.json"
    assert window.save_session(session)
    open_model(qtbot, window, write_project(tmp_path))
    c = window.classroom
    pin(window, "W1", (0, 0))
    with qtbot.waitSignal(c.sweep.finished, timeout=WAIT):
        c.sweep.run_button.click()
    with qtbot.waitSignal(window.training_panel.problem_changed, timeout=WAIT):
        assert window.open_session(session)
    assert c.sweep.target() is None  # not the model file's model any more
    assert not c.sweep.run_button.isEnabled()
    user.run_check()
    assert c.sweep.target()[0] is window.problem.net
    with qtbot.waitSignal(c.sweep.finished, timeout=WAIT) as done:
        c.sweep.run_button.click()
    assert isinstance(c.sweep.target()[0], Network)
    assert {dtype for dtype, _ in done.args[0].curves} == {"float64", "float32"}
    assert "curves only" not in c.sweep.status.text()
