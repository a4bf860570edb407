"""The ε sweep view: runs in a worker, draws float64/float32 × centered/one-sided with their
slopes and best ε, and copes with errors that have no logarithm."""

import re
import threading

import numpy as np
import pytest
from PySide6.QtCore import Qt

from gradviz.core.model.network import Network
from gradviz.core.model.spec import LayerSpec, NetworkSpec
from gradviz.core.teach.sweep import Sweep
from gradviz.ui.classroom.sweep_view import SweepView, copy_network, drawable

KEYS = {("float64", "centered"), ("float64", "forward"), ("float32", "centered"), ("float32", "forward")}


@pytest.fixture
def problem(rng):
    spec = NetworkSpec(3, [LayerSpec(4, "tanh"), LayerSpec(3, "linear")])
    return Network(spec), rng.normal(size=(3, 4)), rng.integers(0, 3, 4)


def test_sweeps_a_component_in_a_worker_and_plots_four_curves(qtbot, problem):
    net, X, y = problem
    threads = []

    def recording_sweep(*args, **kwargs):
        from gradviz.core.teach.sweep import epsilon_sweep

        threads.append(threading.current_thread())
        return epsilon_sweep(*args, **kwargs)

    view = SweepView(sweep_function=recording_sweep)
    qtbot.addWidget(view)
    view.set_target(net, X, y, "W1", (1, 2))
    assert view.target_label.text() == "W1[1, 2]"
    with qtbot.waitSignal(view.finished, timeout=20_000) as blocker:
        qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    sweep = blocker.args[0]
    assert threads
    assert threads[0] is not threading.main_thread()
    assert set(view.curves) == set(sweep.curves) == KEYS
    assert len(view.plot.getPlotItem().listDataItems()) == 8  # 4 curves + 4 best-ε stars
    for key, curve in view.curves.items():
        x, y_ = curve.getOriginalDataset()
        assert len(x) > 10
        assert np.all(y_ > 0)
        star_x, star_y = view.best_marks[key].getOriginalDataset()
        assert star_x[0] == sweep.best_epsilon[key]
        assert star_y[0] == sweep.best_error[key]
    names = [label.text for _, label in view.legend.items]
    assert sorted(names) == ["float32 centered", "float32 one-sided", "float64 centered", "float64 one-sided"]
    table = view.slopes_label.text()
    slopes = [float(s) for s in re.findall(r">([+-]\d+\.\d\d) \(≈", table)]
    assert len(slopes) == 4
    assert all(np.isfinite(slopes))
    assert slopes == [round(sweep.slopes[key], 2) for key in sweep.curves]
    assert sweep.slopes[("float64", "centered")] == pytest.approx(2, abs=0.3)
    assert sweep.slopes[("float64", "forward")] == pytest.approx(1, abs=0.3)


def test_a_block_sweep_and_the_model_is_left_alone(qtbot, problem):
    net, X, y = problem
    before = {k: v.copy() for k, v in net.params.items()}
    view = SweepView()
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.finished, timeout=20_000) as blocker:
        view.sweep(net, X, y, "b2")
    assert blocker.args[0].index is None
    assert "difference over the block" in view.plot.getAxis("left").labelText
    assert all(np.array_equal(before[k], net.params[k]) for k in before)


def fake_sweep(errors):
    eps = np.logspace(-8, -1, len(errors))

    def sweep_function(model, X, y, *, block, index, dtypes, methods):
        s = Sweep(block, None if index is None else (0, 0), np.array([0]))
        for key in [(d, m) for d in dtypes for m in methods]:
            s.curves[key] = (eps, np.asarray(errors, dtype=float))
            s.slopes[key] = s.rounding_slopes[key] = float("nan")
            s.best_epsilon[key], s.best_error[key] = float(eps[2]), float(errors[2])
        return s

    return sweep_function


def test_zero_and_nan_errors_are_left_out_of_the_log_plot(qtbot, problem):
    net, X, y = problem
    view = SweepView(sweep_function=fake_sweep([0.0, np.nan, 0.0, 1e-3, 1e-2, 1e-1, np.inf, 0.5]),
                     dtypes=("float64",), methods=("centered",))
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.finished, timeout=10_000):
        view.sweep(net, X, y, "W1", 0)
    _x, y_ = view.curves[("float64", "centered")].getOriginalDataset()
    assert list(y_) == [1e-3, 1e-2, 1e-1, 0.5]
    assert view.best_marks == {}  # the best error is 0: nothing to mark on a log axis
    assert "4 point(s)" in view.status.text()
    assert "n/a" in view.slopes_label.text()
    ex, ey = drawable(np.array([1.0, 2.0]), np.array([0.0, 3.0]))
    assert list(ex) == [2.0]
    assert list(ey) == [3.0]


def test_errors_are_reported_and_a_target_is_required(qtbot, problem):
    net, X, y = problem

    def broken(*args, **kwargs):
        raise ValueError("epsilons must be numbers")

    view = SweepView(sweep_function=broken)
    qtbot.addWidget(view)
    with pytest.raises(ValueError, match="set_target"):
        view.run()
    with pytest.raises(ValueError, match="block must name"):
        view.set_target(net, X, y, "W7")
    with qtbot.waitSignal(view.failed, timeout=10_000) as blocker:
        view.sweep(net, X, y, "W1")
    assert blocker.args == ["epsilons must be numbers"]
    assert "failed" in view.status.text()
    assert view.run_button.isEnabled()


def test_copy_network_keeps_theta_and_bug_but_not_the_arrays(problem):
    net, _, _ = problem
    net.inject_bug("db_x4", 1)
    copy = copy_network(net)
    assert copy.bug == net.bug
    assert all(np.array_equal(copy.params[k], net.params[k]) for k in net.params)
    copy.params["W1"][0, 0] += 1
    assert copy.params["W1"][0, 0] != net.params["W1"][0, 0]
