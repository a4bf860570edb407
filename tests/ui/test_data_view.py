"""The data view and the builder's data controls: examples in class colours (dev hollow), the
network's decision regions (redrawn while training, within a budget), raw inputs against
normalized ones, projections of wide inputs, and the examples, noise, split and check-examples
controls."""

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QLabel, QSpinBox

from gradviz.core.data.datasets import RAW_OFFSET, RAW_SCALE, make_dataset, split
from gradviz.core.data.session import DataSettings, Session
from gradviz.core.model.spec import LayerSpec, NetworkSpec
from gradviz.core.teach.boundary import grid_resolution


@pytest.fixture
def view(window):
    window.classroom.actions["dataView"].trigger()
    return window.classroom.data_view


def test_examples_and_regions_follow_the_problem(window, view):
    problem = window.problem
    train_x, train_y = view.train_points.getData()
    dev_x, _ = view.dev_points.getData()
    assert len(train_x) == problem.X.shape[1]
    assert len(dev_x) == problem.X_dev.shape[1]
    np.testing.assert_allclose(train_x, problem.X[0])
    np.testing.assert_allclose(train_y, problem.X[1])
    assert all(p.brush().style() == Qt.BrushStyle.NoBrush for p in view.dev_points.points())  # hollow
    assert all(p.brush().style() != Qt.BrushStyle.NoBrush for p in view.train_points.points())
    assert f"filled: {problem.X.shape[1]} train · hollow: {problem.X_dev.shape[1]} dev" in view.note.text()
    # the regions are the network's own predictions on the grid, row 0 at the bottom
    res = grid_resolution(problem.net)
    assert view.classes.shape == (res, res)
    (x0, x1), (y0, y1) = view._bounds
    corners = np.array([[x0, x1, x0, x1], [y0, y0, y1, y1]])
    expected = problem.net.predict(corners)
    got = [view.classes[0, 0], view.classes[0, -1], view.classes[-1, 0], view.classes[-1, -1]]
    assert list(expected) == got
    assert view.image.image.shape == (res, res, 3)


def test_the_regions_follow_training_within_a_budget(qtbot, window, view):
    before = view.classes.copy()
    draws = []
    original = view._draw_regions
    view.throttle._redraw = lambda: (draws.append(1), original())
    panel = window.training_panel
    panel.trainItersInput.setValue(400)
    with qtbot.waitSignal(panel.running_changed, check_params_cb=lambda running: not running, timeout=30_000):
        qtbot.mouseClick(panel.trainItersButton, Qt.MouseButton.LeftButton)
    assert window.training_panel.trainer.iteration == 400
    assert not np.array_equal(view.classes, before)  # the regions moved with training
    # the last draw shows the final θ (drawn at once when training stopped)
    (x0, _), (y0, _) = view._bounds
    assert view.classes[0, 0] == window.problem.net.predict(np.array([[x0], [y0]]))[0]
    assert 1 <= len(draws) < 400 // 4  # never once per step


def test_normalization_moves_the_data_to_the_origin(user, window, view):
    normalized = view.train_points.getData()[0]
    assert abs(normalized.mean()) < 0.2
    assert "normalized" in view.note.text()
    user.click("normalizeCheck")
    assert not user.find(QCheckBox, "normalizeCheck").isChecked()
    assert window.problem.normalizer is None
    raw = view.train_points.getData()[0]
    # the spiral in its raw units: the centred data set's feature 1, times 2, plus 3
    train, _ = split(make_dataset("spiral", 300), 0.2)
    np.testing.assert_allclose(raw, RAW_SCALE[0] * train.X[0] + RAW_OFFSET[0])
    assert "raw inputs" in view.note.text()
    window.builder.undo_stack.undo()
    assert window.problem.normalizer is not None


def test_examples_noise_and_split_controls(user, window, view):
    user.type_into("examplesInput", "500")
    assert window.problem.X.shape[1] + window.problem.X_dev.shape[1] == 500
    user.type_into("devSplitInput", "10")
    assert window.problem.X_dev.shape[1] == 50
    assert user.find(QLabel, "splitLabel").text() == "450 train · 50 dev"
    assert len(view.dev_points.getData()[0]) == 50
    quiet = window.problem.X.copy()
    user.type_into("noiseInput", "0")
    assert not np.array_equal(window.problem.X, quiet)
    assert window.session().data == DataSettings("spiral", 500, noise=0.0, dev_fraction=0.1)


def test_the_check_uses_the_number_of_examples_asked_for(user, window):
    user.type_into("checkExamplesInput", "3")
    assert user.find(QSpinBox, "checkExamplesInput").value() == 3
    assert window.problem.X_check.shape[1] == 3
    report = user.run_check()
    assert report.settings["examples"] == 3


def test_wide_inputs_are_shown_on_their_principal_components(qtbot, window, tmp_path):
    spec = NetworkSpec(5, [LayerSpec(8, "tanh"), LayerSpec(3, "linear")])
    path = tmp_path / "blobs5.gradviz.json"
    Session(spec, DataSettings("blobs", 120)).save(path)
    assert window.load_session(path)
    window.classroom.actions["dataView"].trigger()
    view = window.classroom.data_view
    assert "The 5 inputs are shown on their first two principal components" in view.note.text()
    assert "PC 1 across, PC 2 up" in view.note.text()
    assert len(view.train_points.getData()[0]) == window.problem.X.shape[1]
