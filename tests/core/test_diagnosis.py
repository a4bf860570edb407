"""Diagnosis of failed checks: every catalogue bug gets its kind and sentence; kinks and noise
are told apart from bugs; rows, columns and shuffles are read from corrupted reports; a user
model and a report rebuilt from JSON are diagnosed from their arrays."""

import json

import numpy as np
import pytest
from helpers import make_data, make_spec

from gradviz.core import (
    DIAGNOSIS_KINDS,
    BlockResult,
    CheckReport,
    Diagnosis,
    Network,
    diagnose_report,
    gradient_check,
)


def check(bug=None, *, hidden=(4, 4), activation="tanh", loss="softmax_ce", keep_prob=1.0, m=4,
          dropout="off", epsilon=1e-7, **spec_options):
    spec = make_spec(hidden, activation, loss, keep_prob=keep_prob, **spec_options)
    net = Network(spec)
    X, y = make_data(spec, m, np.random.default_rng(1))
    if bug is not None:
        net.inject_bug(*bug)
    return net, X, gradient_check(net, X, y, dropout=dropout, epsilon=epsilon)


def kinds(report: CheckReport) -> dict[str, str]:
    return {name: b.diagnosis.kind for name, b in report.blocks.items() if b.diagnosis is not None}


def messages(report: CheckReport) -> dict[str, str]:
    return {name: b.diagnosis.message for name, b in report.blocks.items() if b.diagnosis is not None}


# -- the catalogue ------------------------------------------------------------------------------
def test_a_correct_net_gets_no_diagnosis():
    _, _, report = check()
    assert report.failing_blocks() == []
    assert kinds(report) == {}
    assert report.conclusion == "correct"
    assert report.summary() == [report.headline(), report.verdict()]


@pytest.mark.parametrize("l2", [0.0, 0.1])
def test_dW_x2_is_a_scale_of_two(l2):
    _, _, report = check(("dW_x2", 2), l2=l2)
    assert kinds(report) == {"W2": "scale"}
    d = report.blocks["W2"].diagnosis
    assert d.factor == pytest.approx(2.0, abs=1e-6)
    assert d.message.startswith("dW2 is 2.00× the numeric gradient everywhere: a scaling bug")


def test_db_x4_is_a_scale_of_four():
    _, _, report = check(("db_x4", 1))
    assert kinds(report) == {"b1": "scale"}
    assert report.blocks["b1"].diagnosis.factor == pytest.approx(4.0, abs=1e-6)
    assert "4.00×" in report.blocks["b1"].diagnosis.message


@pytest.mark.parametrize(("options", "term"), [({"l2": 0.1}, "L2"), ({"l1": 0.1}, "L1"),
                                               ({"l2": 0.2, "l1": 0.1}, "L2 and L1")])
def test_dW_no_reg_is_missing_regularization(options, term):
    _, _, report = check(("dW_no_reg", 2), **options)
    assert kinds(report) == {"W2": "missing_regularization"}
    message = report.blocks["W2"].diagnosis.message
    assert f"equals the {term} regularization gradient" in message
    assert message.endswith("the regularization term is missing from dW2")


@pytest.mark.parametrize(("activation", "layer"), [("tanh", 2), ("tanh", 1), ("relu", 2), ("sigmoid", 2)])
def test_act_deriv_propagates_from_its_layer(activation, layer):
    _, _, report = check(("act_deriv", layer), activation=activation, l2=0.05)
    failing = [f"{p}{l}" for l in range(1, layer + 1) for p in "Wb"]
    assert kinds(report) == dict.fromkeys(failing, "propagated")
    for name in failing:
        d = report.blocks[name].diagnosis
        assert d.layer == layer
        assert f"enters backprop at layer {layer}" in d.message
        assert f"layer {layer}'s activation derivative ({activation})" in d.message
    assert report.blocks["W3"].diagnosis is None


def test_a_propagated_error_is_one_sentence_in_the_summary():
    _, _, report = check(("act_deriv", 2), hidden=(4, 4))
    summary = report.summary()
    propagated = [line for line in summary if "propagates backwards" in line]
    assert propagated == [report.blocks["W1"].diagnosis.shared]
    assert propagated[0].startswith("Every block of layers 1 to 2 is wrong (dW1, db1, dW2, db2)")
    _, _, scaled = check(("dW_x2", 2), hidden=(4, 4))
    assert scaled.blocks["W2"].diagnosis.message in scaled.summary()


def test_act_deriv_at_the_output_layer_names_the_loss_gradient_too():
    _, _, report = check(("act_deriv", 2), hidden=(3,), loss="bce")
    assert kinds(report) == dict.fromkeys(["W1", "b1", "W2", "b2"], "propagated")
    assert "activation derivative (sigmoid) or the loss gradient" in report.blocks["W1"].diagnosis.message


def test_dropout_mask_missing_propagates_and_names_dropout():
    _, _, report = check(("dropout_mask_missing", 2), keep_prob=0.7, m=6, dropout="frozen")
    assert kinds(report) == dict.fromkeys(["W1", "b1", "W2", "b2"], "propagated")
    assert "dropout backprop (keep_prob 0.7" in report.blocks["b2"].diagnosis.message


@pytest.mark.parametrize("l2", [0.0, 0.1])
def test_dropout_scale_missing_propagates_with_the_keep_prob_factor(l2):
    _, _, report = check(("dropout_scale_missing", 2), keep_prob=0.8, dropout="frozen", l2=l2)
    assert kinds(report) == dict.fromkeys(["W1", "b1", "W2", "b2"], "propagated")
    message = report.blocks["W2"].diagnosis.message
    assert "each 0.80× the numeric gradient" in message
    assert "the division by keep_prob = 0.8 were missing" in message


def test_db_wrong_axis_is_misplaced_with_a_bias_message():
    _, _, report = check(("db_wrong_axis", 2))
    assert kinds(report) == {"b2": "misplaced"}
    assert "summed over the wrong axis" in report.blocks["b2"].diagnosis.message


def test_db_wrong_axis_at_a_softmax_output_sums_to_zero():
    # softmax gradients sum to zero over the classes, so db3 summed over units is 0 everywhere
    _, _, report = check(("db_wrong_axis", 3))
    assert kinds(report) == {"b3": "misplaced"}
    message = report.blocks["b3"].diagnosis.message
    assert message.startswith("every entry of db3 is 0, the sum of the numeric db3 over its 3 entries")
    assert "or it is never computed" in message


def test_dscores_sign_flips_every_block():
    _, _, report = check(("dscores_sign", 1))
    assert kinds(report) == dict.fromkeys(report.blocks, "sign")
    for b in report.blocks.values():
        assert b.diagnosis.factor == pytest.approx(-1.0, abs=1e-6)
        assert "a sign flip" in b.diagnosis.message
        assert "every block is flipped" in b.diagnosis.message


def test_dscores_sign_with_l2_flips_the_data_part_only():
    _, _, report = check(("dscores_sign", 1), l2=0.1)
    assert kinds(report) == dict.fromkeys(report.blocks, "sign")
    w = report.blocks["W2"].diagnosis.message
    assert w.startswith("the data part of dW2 (without the regularization term) is -1.00×")
    assert "the regularization part is right" in w
    assert report.blocks["b2"].diagnosis.message.startswith("db2 is -1.00× the numeric gradient")


@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_dW_transposed_is_misplaced(l2):
    _, _, report = check(("dW_transposed", 2), l2=l2)
    assert kinds(report) == {"W2": "misplaced"}
    assert "dW2 is the numeric gradient transposed" in report.blocks["W2"].diagnosis.message


def test_a_kink_only_block_at_the_entry_layer_does_not_hide_the_propagation():
    spec = make_spec((4, 4), "relu", seed=1)
    net = Network(spec)
    X, y = make_data(spec, 4, np.random.default_rng(11))
    net.inject_bug("act_deriv", 2)
    report = gradient_check(net, X, y, epsilon=1e-6)
    assert kinds(report) == {"W1": "propagated", "b1": "propagated", "W2": "propagated", "b2": "kink"}
    assert report.blocks["W1"].diagnosis.layer == 2


# -- not bugs: kinks and noise --------------------------------------------------------------------
def test_a_block_off_only_through_kinks_gets_kind_kink_but_does_not_fail():
    spec = make_spec((4, 4), "relu", "svm", seed=1)
    net = Network(spec)
    X, y = make_data(spec, 20, np.random.default_rng(1))
    report = gradient_check(net, X, y, epsilon=1e-3)
    assert report.failing_blocks() == []
    assert not report.passed
    d = report.blocks["b2"].diagnosis
    assert d.kind == "kink"
    assert not d.is_bug
    assert "crossed a kink" in d.message
    assert all(b.diagnosis is None for b in report.blocks.values() if b.difference <= 1e-5)


@pytest.mark.parametrize(("dtype", "epsilon", "kind", "words", "fix"), [
    ("float32", 1e-7, "noise", "rounding floor of float32", "use float64"),
    ("float64", 1e-12, "noise", "rounding floor of float64", "try ε ≈ 1e-05"),
    ("float64", 1e-1, "truncation", "falls as ε²", "use a smaller ε"),
])
def test_a_correct_net_at_a_bad_precision_or_step_is_explained(dtype, epsilon, kind, words, fix):
    _, _, report = check(dtype=dtype, epsilon=epsilon)
    assert not report.passed
    assert report.failing_blocks() == []
    assert report.conclusion == "inconclusive"
    assert fix in report.conclusion_reason
    assert set(kinds(report).values()) == {kind}
    assert set(report.explained_blocks()) == set(report.blocks)
    assert all(words in text and "not a bug" in text for text in messages(report).values())


def test_a_real_bug_still_shows_in_float32_at_a_sensible_step():
    _, _, report = check(("dW_x2", 2), dtype="float32", epsilon=1e-3)
    assert report.blocks["W2"].diagnosis.kind == "scale"
    assert report.blocks["W2"].diagnosis.factor == pytest.approx(2.0, abs=0.02)
    assert all(k == "noise" for name, k in kinds(report).items() if name != "W2")


# -- patterns read from corrupted reports ---------------------------------------------------------
def corrupted(report: CheckReport, name: str, change) -> CheckReport:
    """A copy of ``report`` whose block ``name`` has its analytic gradient changed."""
    blocks = {
        k: BlockResult(k, change(b.analytic.copy()) if k == name else b.analytic, b.numeric, b.kink)
        for k, b in report.blocks.items()
    }
    return CheckReport(blocks, dict(report.settings), loss=report.loss)


@pytest.fixture(scope="module")
def clean():
    net, X, report = check(hidden=(5, 4))
    return net, X.shape[1], report


def rows_scaled(a):
    a[[1, 3]] *= 1.5
    return a


def column_offset(a):
    a[:, 2] += 0.3
    return a


@pytest.mark.parametrize(("change", "kind", "indices"), [
    (rows_scaled, "rows", (1, 3)),
    (column_offset, "columns", (2,)),
])
def test_errors_confined_to_rows_or_columns(clean, change, kind, indices):
    net, m, report = clean
    bad = corrupted(report, "W2", change)
    found = diagnose_report(bad, spec=net.spec, params=net.params, m=m)
    assert {k: d.kind for k, d in found.items() if d} == {"W2": kind}
    assert found["W2"].indices == indices
    listed = ", ".join(map(str, indices))
    assert f"confined to {kind} {listed}" in found["W2"].message


def test_a_shuffled_gradient_is_misplaced(clean):
    net, m, report = clean
    bad = corrupted(report, "W1", lambda a: np.random.default_rng(0).permutation(a.ravel()).reshape(a.shape))
    found = diagnose_report(bad, spec=net.spec, params=net.params, m=m)
    assert found["W1"].kind == "misplaced"
    assert "sorted they agree" in found["W1"].message


def test_a_zero_gradient_is_a_scale_of_zero(clean):
    net, m, report = clean
    found = diagnose_report(corrupted(report, "b2", np.zeros_like), spec=net.spec, params=net.params, m=m)
    assert found["b2"].kind == "scale"
    assert found["b2"].factor == 0.0


def test_an_offset_everywhere_is_unexplained(clean):
    net, m, report = clean
    wavy = corrupted(report, "W2", lambda a: a + 0.05 * np.cos(np.arange(a.size)).reshape(a.shape))
    found = diagnose_report(wavy, spec=net.spec, params=net.params, m=m)
    assert found["W2"].kind == "unexplained"
    assert "no simple pattern" in found["W2"].message


# -- user models and rebuilt reports ------------------------------------------------------------
class TanhNet:
    """tanh - linear - mean squared error in course layout (W (n_out, n_in), X (n_in, m)), with
    L2 λ/(2m)·Σ‖W‖²; ``bug`` plants "no_reg" (dW2 without λ/m·W2) or "act_deriv" (1 − a)."""

    def __init__(self, reg=0.0, bug=None, seed=0):
        rng = np.random.default_rng(seed)
        self.params = {"W1": rng.standard_normal((4, 3)) * 0.7, "b1": rng.standard_normal((4, 1)) * 0.1,
                       "W2": rng.standard_normal((2, 4)) * 0.7, "b2": rng.standard_normal((2, 1)) * 0.1}
        self.reg, self.bug = reg, bug

    def loss(self, X, y):
        p, m = self.params, X.shape[1]
        A1 = np.tanh(p["W1"] @ X + p["b1"])
        out = p["W2"] @ A1 + p["b2"]
        penalty = self.reg / (2 * m) * (np.sum(p["W1"] ** 2) + np.sum(p["W2"] ** 2))
        J = np.sum((out - y) ** 2) / (2 * m) + penalty
        dZ2 = (out - y) / m
        dA1 = p["W2"].T @ dZ2
        dZ1 = dA1 * ((1 - A1) if self.bug == "act_deriv" else (1 - A1**2))
        grads = {"W1": dZ1 @ X.T + self.reg / m * p["W1"], "b1": dZ1.sum(axis=1, keepdims=True),
                 "W2": dZ2 @ A1.T + (0 if self.bug == "no_reg" else self.reg / m * p["W2"]),
                 "b2": dZ2.sum(axis=1, keepdims=True)}
        return float(J), grads


def user_data():
    rng = np.random.default_rng(3)
    return rng.standard_normal((3, 5)), rng.standard_normal((2, 5))


def test_a_user_model_missing_its_l2_term_is_read_from_the_arrays():
    X, y = user_data()
    report = gradient_check(TanhNet(reg=0.4, bug="no_reg"), X, y)
    assert kinds(report) == {"W2": "missing_regularization"}
    assert "-0.08·W2, an L2-like regularization gradient" in report.blocks["W2"].diagnosis.message


def test_a_user_model_activation_bug_propagates_by_block_names():
    X, y = user_data()
    report = gradient_check(TanhNet(bug="act_deriv"), X, y)
    assert kinds(report) == {"W1": "propagated", "b1": "propagated"}
    assert report.blocks["W1"].diagnosis.layer == 1
    message = report.blocks["W1"].diagnosis.message
    # gradviz cannot know what a user's layer 1 holds: the layer is named, the cause not guessed
    assert "the error enters backprop at layer 1" in message
    assert "activation" not in message


def test_a_rebuilt_report_is_diagnosed_again():
    net, X, report = check(("dW_no_reg", 2), l2=0.1)
    data = json.loads(report.to_json())
    assert data["blocks"]["W2"]["diagnosis"]["kind"] == "missing_regularization"
    rebuilt = CheckReport.from_dict(data)
    assert all(b.diagnosis is None for b in rebuilt.blocks.values())
    diagnose_report(rebuilt, spec=net.spec, params=net.params, m=X.shape[1])
    assert messages(rebuilt) == messages(report)
    # without the spec the arrays and θ still show an L2-like term, with λ/m = 0.1/4
    diagnose_report(rebuilt, params=net.params)
    assert "-0.025·W2, an L2-like regularization gradient" in rebuilt.blocks["W2"].diagnosis.message


def test_a_rebuilt_report_without_context_still_shows_a_scale():
    _, _, report = check(("dW_x2", 1))
    rebuilt = CheckReport.from_dict(report.to_dict())
    found = diagnose_report(rebuilt)
    assert found["W1"].kind == "scale"
    assert found["W1"].factor == pytest.approx(2.0, abs=1e-6)


def test_diagnosis_objects_serialize_and_appear_in_the_summary():
    _, _, report = check(("db_x4", 2))
    d = report.blocks["b2"].diagnosis
    assert isinstance(d, Diagnosis)
    assert d.kind in DIAGNOSIS_KINDS
    assert d.to_dict() == {"block": "b2", "kind": "scale", "message": d.message, "factor": d.factor,
                           "layer": None, "indices": [], "shared": None}
    assert d.message in report.summary()
    json.dumps(report.to_dict())
