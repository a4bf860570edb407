"""The classroom's results are greyed when what they were computed from changes, and only then:
the check's curve of the signals by layer after any change (its live curves follow the network),
the sanity checks after the network or data changes (not the check settings, not training), the
check's cost after the network or the check settings change; each is current again after its
next run. The greying leaves the button that runs it again in clear view."""

import pytest
from PySide6.QtWidgets import QWidget

from gradviz.ui.classroom.layer_gradient_plot import STALE_ALPHA
from gradviz.ui.common.stale import stale_note
from gradviz.ui.stale_results import NOTES


@pytest.fixture
def classroom(window):
    return window.classroom


def pen_alpha(curve) -> int:
    return curve.opts["pen"].color().alpha()


def run_sanity(qtbot, user, classroom):
    with qtbot.waitSignal(classroom.sanity.finished, timeout=30_000):
        user.click("runSanityButton")


def measure_cost(qtbot, user, classroom):
    with qtbot.waitSignal(classroom.cost.measured, timeout=60_000):
        user.click("measureCostButton")


def test_the_check_curve_by_layer_fades_after_any_change_until_the_next_check(qtbot, user, window,
                                                                             classroom):
    classroom.actions["layerGradients"].trigger()
    panel = classroom.layer_gradients
    user.run_check()
    assert panel.differences.size == 2
    assert stale_note(panel) is None
    assert pen_alpha(panel.diff_curve) == 255
    user.type_into("epsilonInput", "1e-5")
    assert stale_note(panel) == NOTES["check"]
    assert pen_alpha(panel.diff_curve) == STALE_ALPHA
    assert pen_alpha(panel.grad_curve) == 255  # the live curves are the network's own
    assert NOTES["check"] in panel.note.text()
    user.run_check()
    assert stale_note(panel) is None
    assert pen_alpha(panel.diff_curve) == 255
    assert NOTES["check"] not in panel.note.text()
    window.training_panel.step_once()
    assert stale_note(panel) == NOTES["training"]


def test_the_sanity_checks_grey_when_the_network_changes_only(qtbot, user, window, classroom):
    classroom.actions["sanity"].trigger()
    run_sanity(qtbot, user, classroom)
    user.type_into("epsilonInput", "1e-5")  # the sanity checks do not run a gradient check
    window.training_panel.step_once()  # they start from the initial θ, which training keeps
    assert stale_note(classroom.sanity) is None
    user.choose("initCombo", "small")
    assert stale_note(classroom.sanity) == NOTES["network"]
    button = user.find(QWidget, "runSanityButton")
    veil = classroom.sanity.findChild(QWidget, "staleVeil")
    assert veil.isVisible()
    assert not veil.parentWidget().isAncestorOf(button)  # the button is outside the greyed part
    run_sanity(qtbot, user, classroom)
    assert stale_note(classroom.sanity) is None


def test_the_cost_greys_when_the_check_settings_change(qtbot, user, window, classroom):
    classroom.actions["sanity"].trigger()
    measure_cost(qtbot, user, classroom)
    window.training_panel.step_once()  # θ does not change what a check costs
    assert stale_note(classroom.cost) is None
    user.choose("precisionCombo", "float32")
    assert stale_note(classroom.cost) is not None
    measure_cost(qtbot, user, classroom)
    assert stale_note(classroom.cost) is None
    user.type_into("epsilonInput", "1e-5")
    assert stale_note(classroom.cost) == NOTES["check"]


def test_another_session_greys_the_classroom_results(qtbot, user, window, classroom, tmp_path):
    classroom.actions["sanity"].trigger()
    run_sanity(qtbot, user, classroom)
    path = tmp_path / "other.gradviz.json"
    assert window.save_session(path)
    assert window.load_session(path)
    assert stale_note(classroom.sanity) == NOTES["session"]
