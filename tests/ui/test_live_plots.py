"""LivePlots and its ring buffers: curves follow the records, the smoothed loss is a bias-corrected
moving average, the update ratios get one curve per block."""

from __future__ import annotations

import numpy as np
import pytest

from gradviz.core.model.training import EpochRecord, StepRecord
from gradviz.ui.training.live_plots import SMOOTHING, LivePlots
from gradviz.ui.training.ring_buffer import RingBuffer


def test_ring_buffer_keeps_the_newest_rows_in_order():
    buffer = RingBuffer(4, 2)
    assert buffer.data().shape == (0, 2)
    buffer.extend([[1, 10], [2, 20], [3, 30]])
    np.testing.assert_array_equal(buffer.data()[:, 0], [1, 2, 3])
    buffer.extend([[4, 40], [5, 50]])  # wraps
    np.testing.assert_array_equal(buffer.data(), [[2, 20], [3, 30], [4, 40], [5, 50]])
    np.testing.assert_array_equal(buffer.last(), [5, 50])
    buffer.extend(np.arange(20).reshape(10, 2))  # more than the capacity at once
    np.testing.assert_array_equal(buffer.data()[:, 0], [12, 14, 16, 18])
    buffer.clear()
    assert len(buffer) == 0
    assert buffer.last() is None
    with pytest.raises(ValueError, match="capacity"):
        RingBuffer(0)


def records(losses, epoch_every=4):
    out = []
    for i, loss in enumerate(losses, start=1):
        end = None
        if i % epoch_every == 0:
            end = EpochRecord(i // epoch_every, loss, 0.5 + i / 100, loss * 2, 0.4 + i / 100)
        out.append(StepRecord(i // epoch_every + 1, i, loss, {"W1": 1e-3 * i, "b1": float("inf")}, end))
    return out


def curve_len(curve) -> int:
    x, _ = curve.getData()
    return 0 if x is None else len(x)


@pytest.fixture
def plots(qtbot):
    widget = LivePlots()
    qtbot.addWidget(widget)
    widget.set_blocks(["W1", "b1"])
    return widget


def test_curves_follow_the_records(plots):
    losses = [2.0, 1.0, 4.0, 3.0, 0.5, 0.25, 1.0, 2.0]
    plots.add_records(records(losses[:5]))
    plots.add_records(records(losses)[5:])
    plots.redraw()
    x, y = plots.loss_curve.getData()
    np.testing.assert_array_equal(x, np.arange(1, 9))
    np.testing.assert_array_equal(y, losses)
    # bias-corrected EMA: the first smoothed value is the first loss
    expected, ema = [], 0.0
    for t, loss in enumerate(losses, start=1):
        ema = SMOOTHING * ema + (1 - SMOOTHING) * loss
        expected.append(ema / (1 - SMOOTHING**t))
    np.testing.assert_allclose(plots.smooth_curve.getData()[1], expected)
    assert plots.smooth_curve.getData()[1][0] == pytest.approx(2.0)
    ex, train = plots.train_acc_curve.getData()
    np.testing.assert_array_equal(ex, [1, 2])
    np.testing.assert_allclose(train, [0.54, 0.58])
    np.testing.assert_allclose(plots.dev_acc_curve.getData()[1], [0.44, 0.48])
    # one curve per block; infinite ratios (a zero bias) are gaps, not points
    assert set(plots.ratio_curves) == {"W1", "b1"}
    np.testing.assert_allclose(plots.ratio_curves["W1"].yData, 1e-3 * np.arange(1, 9))
    assert not np.any(np.isfinite(plots.ratio_curves["b1"].yData))
    np.testing.assert_array_equal(plots.reference_line.xData, [1, 8])
    np.testing.assert_array_equal(plots.reference_line.yData, [1e-3, 1e-3])


def test_clear_empties_every_curve(plots):
    plots.add_records(records([1.0] * 8))
    plots.clear()
    for curve in (plots.loss_curve, plots.smooth_curve, plots.train_acc_curve, plots.ratio_curves["W1"]):
        x, _ = curve.getData()
        assert x is None or len(x) == 0
    plots.add_records(records([3.0]))
    plots.redraw()
    assert plots.smooth_curve.getData()[1][0] == pytest.approx(3.0)  # the average restarted


def test_options_log_axis_smoothing_and_mse(plots):
    plots.set_log_loss(True)
    assert plots.lossPlot.getPlotItem().ctrl.logYCheck.isChecked()
    plots.set_smooth(False)
    assert not plots.smooth_curve.isVisible()
    plots.set_blocks(["W1", "b1", "W2", "b2"], accuracy=False)
    assert len(plots.ratio_curves) == 4
    assert plots._no_accuracy.isVisible()
    assert not plots.accuracyPlot.getPlotItem().legend.isVisible()  # no train/dev key
    # the note sits in the middle of the shown range: its text is never cut by the left edge
    view = plots.accuracyPlot.getViewBox()
    view.setXRange(0, 10, padding=0)
    note = plots._no_accuracy.mapRectToView(plots._no_accuracy.boundingRect())
    assert view.viewRect().contains(note.center())
    assert note.left() >= 0
    assert plots.record_count() == 0


def test_x_range_grows_in_steps_and_stops_following_after_a_manual_zoom(plots):
    plots.add_records(records([1.0] * 30))
    plots.redraw()
    (x0, x1), _ = plots.lossPlot.getViewBox().viewRange()
    assert x0 < 1
    assert 40 <= x1 < 41  # 30 points (+10%): the range ends at the next round number, 40
    assert plots.updateRatioPlot.getViewBox().viewRange()[0] == pytest.approx([x0, x1])
    plots.add_records(records([1.0] * 40)[30:])  # still inside: the range does not move
    plots.redraw()
    assert plots.lossPlot.getViewBox().viewRange()[0][1] == pytest.approx(x1)

    plots.lossPlot.getViewBox().sigRangeChangedManually.emit([True, True])  # the user zooms
    plots.add_records(records([1.0] * 200)[40:])
    plots.redraw()
    assert plots.lossPlot.getViewBox().viewRange()[0][1] == pytest.approx(x1)
    plots.clear()  # a new run follows again
    plots.add_records(records([1.0] * 200))
    plots.redraw()
    assert plots.lossPlot.getViewBox().viewRange()[0][1] > 200


def test_an_expensive_frame_delays_the_next_one_while_training_runs(plots):
    plots.set_training(True)
    plots.add_records(records([1.0, 2.0]))
    plots._tick()  # the first frame draws at once
    assert len(plots.loss_curve.yData) == 2
    plots._frame_cost = 3600.0  # pretend it took an hour: the next frame must wait (MAX_WAIT)
    plots.add_records(records([1.0, 2.0, 3.0])[2:])
    for _ in range(3):
        plots._tick()
    assert len(plots.loss_curve.yData) == 2
    for _ in range(3):  # one plot per frame: all three within three (cheap) frames
        plots._frame_cost = 0.0
        plots._tick()
    assert len(plots.loss_curve.yData) == 3
    plots.add_records(records([1.0, 2.0, 3.0, 4.0])[3:])
    plots._frame_cost = 3600.0
    plots.set_training(False)  # stopped: the plots catch up at once
    for _ in range(3):
        plots._tick()
    assert len(plots.loss_curve.yData) == 4


def test_each_frame_redraws_one_plot_in_turn(plots):
    plots.set_blocks(["W1", "b1"])
    ratio = plots.ratio_curves["W1"]
    plots.add_records(records([1.0, 2.0, 3.0], epoch_every=1))
    drawn = []
    for _ in range(3):
        before = [curve_len(c) for c in (plots.loss_curve, plots.train_acc_curve, ratio)]
        plots._frame_cost = 0.0
        plots._tick()
        after = [curve_len(c) for c in (plots.loss_curve, plots.train_acc_curve, ratio)]
        drawn.append([b != a for b, a in zip(before, after, strict=True)])
    assert all(sum(frame) == 1 for frame in drawn)  # exactly one plot per frame
    assert [any(column) for column in zip(*drawn, strict=True)] == [True, True, True]
    plots._tick()  # nothing new: nothing to draw
    assert not plots._dirty


def test_following_one_plot_leaves_its_linked_neighbour_to_its_own_frame(plots):
    plots.add_records(records([1.0] * 30))
    plots.redraw(plots.lossPlot)
    assert plots.lossPlot.getViewBox().viewRange()[0][1] > 40
    assert plots.updateRatioPlot.getViewBox().viewRange()[0][1] < 40
    plots.redraw(plots.updateRatioPlot)
    assert plots.updateRatioPlot.getViewBox().viewRange()[0][1] > 40


def test_y_ranges_jump_between_round_numbers(plots):
    plots.add_records(records([2.6, 1.0, 0.4]))  # W1 ratios 1e-3 · i: 1e-3 .. 3e-3
    plots.redraw()
    y0, y1 = plots.lossPlot.getViewBox().viewRange()[1]
    assert [y0, y1] == pytest.approx([-0.06, 3.06])  # 0 .. 3, padded by 2%
    ratio_range = plots.updateRatioPlot.getViewBox().viewRange()[1]
    assert ratio_range == pytest.approx([-3.02, -1.98])  # decades 1e-3 .. 1e-2
    plots.add_records(records([2.6, 1.0, 0.4, 2.9])[3:])  # inside: nothing moves
    plots.redraw()
    assert plots.lossPlot.getViewBox().viewRange()[1] == pytest.approx([y0, y1])
    plots.add_records(records([2.6, 1.0, 0.4, 2.9, 7.0])[4:])
    plots.redraw()
    assert plots.lossPlot.getViewBox().viewRange()[1][1] == pytest.approx(8.16)  # up to 8
    plots.set_log_loss(True)
    plots.redraw()
    assert plots.lossPlot.getViewBox().viewRange()[1] == pytest.approx([-1.04, 1.04])  # 0.1 .. 10
