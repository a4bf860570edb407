"""The checkpoint timeline: checks at the requested iterations of a training run (in a worker),
a bug that only shows after training stands out, and the slider emits each checkpoint."""

import numpy as np
import pytest
from PySide6.QtCore import Qt

from gradviz.core.model.network import Network
from gradviz.core.model.spec import LayerSpec, NetworkSpec
from gradviz.core.model.training import Trainer
from gradviz.ui.classroom.checkpoint_timeline import CheckpointRun, CheckpointTimeline, parse_iterations
from gradviz.ui.classroom.sweep_view import copy_network


@pytest.fixture
def net_and_data(rng):
    """A net whose missing (λ/m)·W2 hides while W2 = 0 and shows once training moves W2."""
    spec = NetworkSpec(2, [LayerSpec(5, "tanh"), LayerSpec(3, "linear")], l2=0.5)
    net = Network(spec)
    net.params["W2"][:] = 0
    net.inject_bug("dW_no_reg", 2)
    return net, rng.normal(size=(2, 30)), rng.integers(0, 3, 30)


@pytest.fixture
def timeline(qtbot, net_and_data):
    net, X, y = net_and_data
    widget = CheckpointTimeline()
    qtbot.addWidget(widget)
    widget.set_source(lambda: CheckpointRun(Trainer(copy_network(net), X, y, lr=0.5),
                                            X[:, :4], y[:4], {"epsilon": 1e-6}))
    yield widget
    widget.cancel(wait=True)


def run(qtbot, timeline, text: str):
    timeline.iterations_edit.setText(text)
    with qtbot.waitSignal(timeline.finished, timeout=20_000) as blocker:
        qtbot.mouseClick(timeline.run_button, Qt.MouseButton.LeftButton)
    return blocker.args[0]


def test_checkpoints_at_the_requested_iterations(qtbot, timeline, net_and_data):
    net, _, _ = net_and_data
    before = {k: v.copy() for k, v in net.params.items()}
    checkpoints = run(qtbot, timeline, "40, 0, 10")
    assert [cp.iteration for cp in checkpoints] == [0, 10, 40]
    assert [cp.iteration for cp in timeline.checkpoints()] == [0, 10, 40]
    first, last = checkpoints[0].report, checkpoints[-1].report
    assert first.failing_blocks() == []  # hidden while W2 = 0
    assert "W2" in last.failing_blocks()  # shows after training
    assert all(np.array_equal(before[k], net.params[k]) for k in before)  # a copy was trained
    assert not np.array_equal(checkpoints[-1].params["W2"], checkpoints[0].params["W2"])
    assert checkpoints[0].loss is None
    assert np.isfinite(checkpoints[-1].loss)
    assert timeline.slider.maximum() == 2
    assert timeline.slider.value() == 2
    assert "Iteration 40" in timeline.current_label.text()
    assert "W2" in timeline.current_label.text()
    assert timeline.status.text() == "Done."


def test_the_slider_emits_the_checkpoint_it_picks(qtbot, timeline):
    checkpoints = run(qtbot, timeline, "0, 15")
    with qtbot.waitSignal(timeline.checkpoint_selected) as blocker:
        timeline.slider.setValue(0)
    iteration, report, params = blocker.args
    assert iteration == 0
    assert report is checkpoints[0].report
    assert params is checkpoints[0].params
    with qtbot.waitSignal(timeline.checkpoint_selected) as blocker:
        timeline.select(1)
    assert blocker.args[0] == 15
    assert blocker.args[1] is checkpoints[1].report
    with pytest.raises(ValueError, match="position"):
        timeline.select(5)


def test_plot_has_one_point_per_checkpoint_coloured_by_status(qtbot, timeline):
    checkpoints = run(qtbot, timeline, "0, 30")
    xs, ys = timeline._points.getData()
    assert list(xs) == [0, 30]
    assert ys[1] > -5 > ys[0]  # the bug is above the 1e-5 line only after training
    brushes = [p.brush().color().name() for p in timeline._points.points()]
    assert brushes[0] != brushes[1]
    assert [cp.report.status for cp in checkpoints][1] in ("worry", "wrong")


def test_bad_iterations_are_reported_without_running(qtbot, timeline):
    timeline.iterations_edit.setText("0, ten")
    with qtbot.waitSignal(timeline.failed) as blocker:
        timeline.run()
    assert "whole numbers" in blocker.args[0]
    assert not timeline.is_running()


def test_parse_iterations():
    assert parse_iterations("500, 0 100;100") == [0, 100, 500]
    for text, message in [("", "at least one"), ("-1", ">= 0"), ("1.5", "whole numbers")]:
        with pytest.raises(ValueError, match=message):
            parse_iterations(text)


def test_nothing_to_run_without_a_source(qtbot):
    widget = CheckpointTimeline()
    qtbot.addWidget(widget)
    assert not widget.run_button.isEnabled()
    with pytest.raises(ValueError, match="set_source"):
        widget.run()


def test_cancel_stops_a_long_run_between_training_steps(qtbot, timeline):
    timeline.iterations_edit.setText("0, 10000000")
    timeline.run()
    qtbot.waitUntil(lambda: len(timeline.checkpoints()) == 1, timeout=20_000)
    qtbot.mouseClick(timeline.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not timeline.is_running(), timeout=20_000)
    assert timeline.status.text() == "Cancelled."
    assert [cp.iteration for cp in timeline.checkpoints()] == [0]
    assert timeline.run_button.isEnabled()
