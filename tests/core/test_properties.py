"""Properties over random small networks: correct backprop always passes in float64 and is never
called a bug at any step; every catalogue bug is a bug in the blocks it changes; and no check
(finished, cancelled or raising) changes the parameters by a single bit."""

import contextlib
import math

import numpy as np
import pytest
from helpers import make_data, snapshot
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from gradviz.core import (
    BUG_KINDS,
    LayerSpec,
    Network,
    NetworkSpec,
    gradient_check,
    iter_gradient_check,
)
from gradviz.core.check.objective import NetworkObjective
from gradviz.core.report.check_report import norm_ratio

HIDDEN = ["tanh", "sigmoid", "linear", "relu", "leaky_relu"]
ENGINES = ["reference", "auto"]
FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
VERDICTS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def specs(draw, dtypes=("float64",)) -> NetworkSpec:
    """1–3 layers of 1–5 units, any hidden activation, every loss with its output layer."""
    loss = draw(st.sampled_from(["softmax_ce", "svm", "bce", "mse"]))
    hidden = draw(st.lists(
        st.builds(LayerSpec, st.integers(1, 5), st.sampled_from(HIDDEN),
                  st.sampled_from([1.0, 1.0, 0.5, 0.8])),
        max_size=2,
    ))
    if loss in ("softmax_ce", "svm"):
        last = LayerSpec(draw(st.integers(2, 5)), "linear")
    elif loss == "bce":
        last = LayerSpec(1, "sigmoid")
    else:
        last = LayerSpec(draw(st.integers(1, 5)), draw(st.sampled_from(HIDDEN)))
    return NetworkSpec(
        draw(st.integers(1, 4)), [*hidden, last], loss=loss,
        l2=draw(st.sampled_from([0.0, 0.0, 0.1, 1.0])),
        l1=draw(st.sampled_from([0.0, 0.0, 0.05])),
        init=draw(st.sampled_from(["he", "xavier", "glorot"])),
        dtype=draw(st.sampled_from(dtypes)), seed=draw(st.integers(0, 2**16)),
    )


def difference_without_kinks(report) -> float:
    blocks = report.blocks.values()
    keep = [b.checked & ~b.kink for b in blocks]
    return norm_ratio(np.concatenate([b.numeric[k] for b, k in zip(blocks, keep, strict=True)]),
                      np.concatenate([b.analytic[k] for b, k in zip(blocks, keep, strict=True)]))


@FAST
@given(spec=specs(), m=st.integers(1, 4), data_seed=st.integers(0, 2**16),
       dropout=st.sampled_from(["off", "frozen"]), engine=st.sampled_from(ENGINES))
def test_correct_networks_pass_in_float64(spec, m, data_seed, dropout, engine):
    X, y = make_data(spec, m, np.random.default_rng(data_seed))
    report = gradient_check(Network(spec), X, y, dropout=dropout, engine=engine)
    # a loss near 0 (saturated outputs) leaves gradients at the rounding level of J itself
    assume(report.loss > 1e-3)
    # kink-crossed components aside (a ReLU fed only by dead units sits exactly at 0)
    assert difference_without_kinks(report) <= 1e-6
    if report.n_kinks == 0:
        assert report.passed
    # a block whose true gradient is ~0 (SVM biases whose examples cancel) sits at the noise floor
    assert report.failing_blocks() == []
    assert report.conclusion == ("correct" if report.passed else "inconclusive")


@VERDICTS
@given(spec=specs(), m=st.integers(1, 4), data_seed=st.integers(0, 2**16),
       log_epsilon=st.floats(-8, -2), dropout=st.sampled_from(["off", "frozen"]),
       engine=st.sampled_from(ENGINES))
def test_correct_networks_are_never_called_buggy_at_any_step(spec, m, data_seed, log_epsilon,
                                                            dropout, engine):
    X, y = make_data(spec, m, np.random.default_rng(data_seed))
    report = gradient_check(Network(spec), X, y, epsilon=10**log_epsilon, dropout=dropout,
                            engine=engine)
    assert report.conclusion != "bug"
    assert report.failing_blocks() == []


@st.composite
def planted(draw) -> tuple[NetworkSpec, str, int]:
    """A bug of the catalogue, a spec it can be planted in (square layers for dW_transposed,
    dropout for the dropout bugs, regularization for dW_no_reg) and its layer."""
    kind = draw(st.sampled_from(sorted(BUG_KINDS)))
    n_hidden = draw(st.integers(1, 2))
    width = draw(st.integers(2, 5))
    square = kind == "dW_transposed"
    keep = (lambda: draw(st.sampled_from([0.5, 0.8]))) if kind.startswith("dropout") else (lambda: 1.0)
    hidden = [LayerSpec(width if square else draw(st.integers(1, 5)), draw(st.sampled_from(HIDDEN)),
                        keep()) for _ in range(n_hidden)]
    loss = draw(st.sampled_from(["softmax_ce", "svm", "bce", "mse"]))
    last = {"bce": LayerSpec(1, "sigmoid"), "mse": LayerSpec(draw(st.integers(1, 4)), "tanh")}.get(
        loss, LayerSpec(draw(st.integers(2, 4)), "linear"))
    l2 = draw(st.sampled_from([0.1, 1.0] if kind == "dW_no_reg" else [0.0, 0.1]))
    spec = NetworkSpec(width if square else draw(st.integers(1, 4)), [*hidden, last], loss=loss,
                       l2=l2, seed=draw(st.integers(0, 2**16)))
    inner = kind.startswith("dropout") or square
    return spec, kind, draw(st.integers(1, n_hidden if inner else n_hidden + 1))


@VERDICTS
@given(case=planted(), m=st.integers(1, 4), data_seed=st.integers(0, 2**16),
       log_epsilon=st.floats(-8, -2), engine=st.sampled_from(ENGINES))
def test_every_catalogue_bug_is_a_bug_in_the_blocks_it_changes(case, m, data_seed, log_epsilon, engine):
    spec, kind, layer = case
    X, y = make_data(spec, m, np.random.default_rng(data_seed))
    net = Network(spec)
    net.inject_bug(kind, layer)
    dropout = "frozen" if kind.startswith("dropout") else "off"
    report = gradient_check(net, X, y, epsilon=10**log_epsilon, dropout=dropout, engine=engine)
    clean = NetworkObjective(Network(spec, net.params), X, y, dropout=dropout, terms="all",
                             loss_scale=1.0, seed=0).analytic
    changed = {n for n, b in report.blocks.items() if np.any(b.analytic != clean[n])}
    # the check can see a block's bug where it moves the gradient of components that crossed no
    # kink by 1% (norm ratio) and beyond a millionth of the largest gradient
    largest = max(float(np.abs(g).max()) for g in clean.values())
    seen = set()
    for name, b in report.blocks.items():
        keep = ~b.kink
        if (norm_ratio(clean[name][keep], b.analytic[keep]) > 1e-2
                and np.abs(clean[name] - b.analytic)[keep].max(initial=0) > 1e-6 * largest):
            seen.add(name)
    failing = set(report.failing_blocks())
    assert failing <= changed  # never an innocent block
    assert seen <= failing
    if seen:
        assert report.conclusion == "bug"


@FAST
@given(spec=specs(), m=st.integers(1, 3), data_seed=st.integers(0, 2**16),
       engine=st.sampled_from(ENGINES))
# a tanh output saturated at 1 − a² ≈ 2e-9: backprop's derivative must not be 1 − a² of a rounded a
@example(spec=NetworkSpec(2, [LayerSpec(1, "tanh")], loss="mse", seed=3), m=1, data_seed=3,
         engine="reference")
def test_complex_step_agrees_on_smooth_networks(spec, m, data_seed, engine):
    if spec.l1 or any(layer.activation in ("relu", "leaky_relu") for layer in spec.layers):
        spec = NetworkSpec(spec.input_dim, [LayerSpec(layer.units, "tanh" if layer.activation in (
            "relu", "leaky_relu") else layer.activation) for layer in spec.layers],
            loss=spec.loss, l2=spec.l2, seed=spec.seed)
    X, y = make_data(spec, m, np.random.default_rng(data_seed))
    report = gradient_check(Network(spec), X, y, method="complex", epsilon=1e-20, engine=engine)
    # saturated softmax outputs make backprop's own p − y lose digits to cancellation
    assume(report.loss > 1e-3)
    # both sides are accurate to a few units of roundoff times the cancellation of the sums over
    # units and examples: the complex step has no subtraction, backprop computes g'(z) from z
    assert report.difference <= 1e-11


BAD_OR_GOOD = {
    "epsilon": st.sampled_from([1e-7, 1e-4, 0.0, -1.0, math.nan, math.inf]),
    "method": st.sampled_from(["centered", "forward", "complex", "richardson", "secant"]),
    "dropout": st.sampled_from(["off", "frozen", "resample", "always"]),
    "terms": st.sampled_from(["all", "data", "reg", "none"]),
    "sample": st.sampled_from([None, 1, 3, 0]),
    "blocks": st.sampled_from([None, ["W1"], ["b1", "W1"], ["W9"]]),
    "engine": st.sampled_from(["reference", "auto", "fast"]),
}


@FAST
@given(spec=specs(dtypes=("float64", "float32")), m=st.integers(1, 3),
       data_seed=st.integers(0, 2**16), kwargs=st.fixed_dictionaries(BAD_OR_GOOD),
       bad_labels=st.booleans())
def test_params_are_bit_for_bit_unchanged_after_any_check(spec, m, data_seed, kwargs, bad_labels):
    net = Network(spec)
    X, y = make_data(spec, m, np.random.default_rng(data_seed))
    if bad_labels:
        y = np.full_like(y, 7)
    before = snapshot(net.params)
    with contextlib.suppress(ValueError):
        gradient_check(net, X, y, **kwargs)
    assert snapshot(net.params) == before


class Flaky:
    """A user model (X (m, D), W (D, C)) whose loss scribbles on W and raises on one call."""

    def __init__(self, fail_at: int, seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.params = {"W": rng.standard_normal((3, 2)), "b": rng.standard_normal(2)}
        self.calls, self.fail_at = 0, fail_at

    def loss(self, X, y):
        self.calls += 1
        if self.calls == self.fail_at:
            self.params["W"] *= 2.0
            self.params["b"][0] = np.nan
            raise RuntimeError("boom")
        diff = X @ self.params["W"] + self.params["b"] - y
        return 0.5 * np.sum(diff**2), {"W": X.T @ diff, "b": diff.sum(axis=0)}


@FAST
@given(fail_at=st.integers(1, 30), seed=st.integers(0, 2**16))
def test_user_model_params_restored_whenever_the_loss_raises(fail_at, seed):
    model = Flaky(fail_at, seed)
    rng = np.random.default_rng(seed)
    X, y = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    before = snapshot(model.params)
    try:
        report = gradient_check(model, X, y)
    except RuntimeError:
        pass
    else:  # the check needs fewer calls than fail_at
        assert report.status == "great"
    assert snapshot(model.params) == before


@FAST
@given(spec=specs(), stop_after=st.integers(1, 4), user=st.booleans(), engine=st.sampled_from(ENGINES))
def test_params_unchanged_after_cancel(spec, stop_after, user, engine):
    model = Flaky(10**9, spec.seed) if user else Network(spec)
    rng = np.random.default_rng(spec.seed)
    if user:
        X, y = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    else:
        X, y = make_data(spec, 2, rng)
    before = snapshot(model.params)
    run = iter_gradient_check(model, X, y, engine=engine)
    for _ in range(stop_after):
        try:
            next(run)
        except StopIteration:
            break
    run.close()
    assert snapshot(model.params) == before


@pytest.mark.parametrize("seed", range(3))
def test_the_spec_strategy_covers_every_loss(seed):
    # a guard against the strategy silently narrowing: every loss builds a valid spec
    for loss, last in [("softmax_ce", LayerSpec(2, "linear")), ("svm", LayerSpec(3, "linear")),
                       ("bce", LayerSpec(1, "sigmoid")), ("mse", LayerSpec(2, "relu"))]:
        spec = NetworkSpec(2, [LayerSpec(3, HIDDEN[seed]), last], loss=loss, seed=seed)
        X, y = make_data(spec, 3, np.random.default_rng(seed))
        assert gradient_check(Network(spec), X, y).failing_blocks() == []
