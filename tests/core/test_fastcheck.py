"""The fast engine against the reference loop: the same numeric gradient, component by component,
within the rounding bound 50·u·max(|J|, loss_scale)/ε, and the same kink flags; progress, cancel
and fallbacks."""

import json

import numpy as np
import pytest
from helpers import drain, make_data, make_spec, snapshot

from gradviz.bench import fastcheck as bench
from gradviz.core import LayerSpec, Network, NetworkSpec, gradient_check, iter_gradient_check
from gradviz.core.check import fastcheck
from gradviz.core.check.objective import NetworkObjective

M = 5


def both(net, X, y, **kwargs):
    """(fast report, reference report) for the same check."""
    fast = gradient_check(net, X, y, engine="fast", **kwargs)
    reference = gradient_check(net, X, y, engine="reference", **kwargs)
    return fast, reference


def assert_same_numbers(fast, reference):
    """Every checked component agrees within the rounding bound; unchecked ones are NaN in both;
    the kink flags are identical."""
    s = reference.settings
    bound = fastcheck.rounding_bound(s["dtype"], reference.loss, s["epsilon"], s["loss_scale"])
    assert fast.engine == "fast"
    assert reference.engine == "reference"
    assert list(fast.blocks) == list(reference.blocks)
    for name, ref in reference.blocks.items():
        got = fast.blocks[name]
        np.testing.assert_array_equal(np.isnan(got.numeric), np.isnan(ref.numeric))
        checked = ref.checked
        error = np.abs(got.numeric[checked] - ref.numeric[checked])
        assert error.max(initial=0.0) <= bound, f"{name}: {error.max()} > {bound}"
        np.testing.assert_array_equal(got.kink, ref.kink, err_msg=name)


def check(spec, rng, m=M, **kwargs):
    net = Network(spec)
    X, y = make_data(spec, m, rng)
    fast, reference = both(net, X, y, **kwargs)
    assert_same_numbers(fast, reference)
    return fast, reference


# -- every activation, every loss, regularization, dropout, dtypes, methods ------------------------
@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "tanh", "sigmoid", "linear"])
@pytest.mark.parametrize("loss", ["softmax_ce", "svm", "bce", "mse"])
def test_every_activation_and_loss_with_l2(rng, activation, loss):
    check(make_spec((4, 5), activation, loss, seed=1, l2=0.1), rng)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_l1_and_l2_with_their_sign_kinks(rng, activation):
    fast, reference = check(make_spec((4, 3), activation, "svm", seed=2, l1=0.2, l2=0.1), rng)
    assert fast.failing_blocks() == reference.failing_blocks()


def test_l1_sign_crossing_is_a_kink_in_both(rng):
    spec = make_spec((3,), "tanh", "mse", seed=0, l1=0.5)
    net = Network(spec)
    net.params["W1"][0, 0] = 2e-8  # within ε of the |W| kink
    X, y = make_data(spec, M, rng)
    fast, reference = both(net, X, y, epsilon=1e-7)
    assert_same_numbers(fast, reference)
    assert fast.blocks["W1"].kink[0, 0]


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
def test_frozen_dropout_uses_the_objective_masks(rng, activation):
    spec = make_spec((5, 4), activation, "softmax_ce", seed=3, keep_prob=0.6, l2=0.05)
    check(spec, rng, dropout="frozen")
    check(spec, rng, dropout="off")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("method", ["centered", "forward", "complex", "richardson"])
def test_each_method_in_each_dtype(rng, dtype, method):
    epsilon = {"complex": 1e-20, "float32": 1e-2}.get(method if method == "complex" else dtype, 1e-6)
    check(make_spec((4, 3), "tanh", "softmax_ce", seed=4, l2=0.1, dtype=dtype), rng,
          method=method, epsilon=epsilon)


@pytest.mark.parametrize("method", ["centered", "forward", "richardson"])
def test_relu_kinks_with_each_real_method(rng, method):
    check(make_spec((6, 5), "relu", "svm", seed=5, l2=0.1), rng, method=method, epsilon=1e-3)


def test_float16_is_served(rng):
    check(make_spec((3,), "tanh", "mse", seed=1, dtype="float16"), rng, epsilon=1e-2)


def test_float32_with_tiny_epsilon_is_still_rounding_noise(rng):
    """A real finite difference: ε = 1e-7 is below float32's spacing, and the check fails."""
    fast, reference = check(make_spec((4, 3), "tanh", "softmax_ce", seed=1, dtype="float32"), rng,
                            epsilon=1e-7)
    assert not fast.passed
    assert not reference.passed
    assert any("below the float32 spacing" in w for w in fast.warnings)


def test_large_epsilon_keeps_the_truncation_error(rng):
    """With ε = 0.05 the centered difference is off by O(ε²): the fast engine shows the same error."""
    fast, reference = check(make_spec((4, 3), "tanh", "mse", seed=1), rng, epsilon=0.05)
    assert reference.difference > 1e-6
    assert fast.difference == pytest.approx(reference.difference, rel=1e-6)


@pytest.mark.parametrize("terms", ["data", "reg"])
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_terms(rng, terms, activation):
    check(make_spec((4, 5), activation, "svm", seed=1, l2=0.3, l1=0.1), rng, terms=terms)


def test_loss_scale(rng):
    check(make_spec((4, 3), "sigmoid", "bce", seed=1, l2=0.1), rng, loss_scale=1e3)


def test_sampling_blocks_and_a_deep_net(rng):
    layers = [LayerSpec(6, "tanh", 0.8), LayerSpec(5, "relu", 0.7), LayerSpec(5, "sigmoid"),
              LayerSpec(4, "leaky_relu", 0.9), LayerSpec(3, "linear")]
    spec = NetworkSpec(4, layers, loss="softmax_ce", l2=0.1, seed=6)
    check(spec, rng, dropout="frozen")
    check(spec, rng, sample=7, seed=3)
    check(spec, rng, blocks=["W2", "b4"])


def test_planted_bug_is_seen_the_same_way(rng):
    spec = make_spec((4, 4), "tanh", "softmax_ce", seed=1, l2=0.1)
    net = Network(spec)
    net.inject_bug("act_deriv", 1)
    X, y = make_data(spec, M, rng)
    fast, reference = both(net, X, y)
    assert_same_numbers(fast, reference)
    assert fast.failing_blocks() == reference.failing_blocks() == ["W1", "b1"]


def test_zero_weights_put_every_relu_on_its_kink(rng):
    """W = 0: every unit sits at z = 0, so perturbations switch units on."""
    fast, _ = check(make_spec((4, 3), "relu", "softmax_ce", init="zeros", seed=1), rng)
    assert fast.n_kinks > 0


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "tanh", "sigmoid", "linear"])
def test_elementwise_path_matches_without_the_polynomial(rng, monkeypatch, activation):
    """With no Taylor degree allowed, layer l+1 is computed elementwise: still the same numbers."""
    monkeypatch.setattr(fastcheck, "MAX_DEGREE", 0)
    spec = make_spec((4, 5), activation, "mse", seed=2, l2=0.1, keep_prob=0.8)
    check(spec, rng, dropout="frozen")


def test_chunks_split_rows_and_threads_give_identical_numbers(rng, monkeypatch):
    monkeypatch.setattr(fastcheck, "CHUNK_ELEMENTS", 64)
    spec = make_spec((7, 6), "tanh", "softmax_ce", seed=1, l2=0.1, input_dim=9)
    net = Network(spec)
    X, y = make_data(spec, M, rng)
    objective = NetworkObjective(net, X, y, dropout="off", terms="all", loss_scale=1.0, seed=0)
    flat = np.arange(net.params["W1"].size)
    one = list(fastcheck.fast_numeric(objective, "W1", flat, 1e-6, "centered", workers=1))
    two = list(fastcheck.fast_numeric(objective, "W1", flat, 1e-6, "centered", workers=2))
    assert len(one) > 3
    assert [(a, b) for a, b, *_ in one] == [(a, b) for a, b, *_ in two]
    np.testing.assert_array_equal(np.concatenate([c[2] for c in one]),
                                  np.concatenate([c[2] for c in two]))
    fast, reference = both(net, X, y, epsilon=1e-6)
    assert_same_numbers(fast, reference)


def test_values_do_not_depend_on_the_order_of_components(rng):
    spec = make_spec((4, 3), "relu", "svm", seed=1, l2=0.1)
    net = Network(spec)
    X, y = make_data(spec, M, rng)
    evaluator = fastcheck.FastEvaluator(
        NetworkObjective(net, X, y, dropout="off", terms="all", loss_scale=1.0, seed=0))
    flat = np.array([7, 0, 11, 3, 5])
    J, kink = evaluator.values("W1", flat, [1e-3, -1e-3])
    order = np.argsort(flat)
    J_sorted, kink_sorted = evaluator.values("W1", flat[order], [1e-3, -1e-3])
    np.testing.assert_array_equal(J[:, order], J_sorted)
    np.testing.assert_array_equal(kink[:, order], kink_sorted)


# -- progress, cancel, fallbacks ---------------------------------------------------------------
def test_progress_arrives_in_chunks_that_fill_the_report(rng, monkeypatch):
    monkeypatch.setattr(fastcheck, "CHUNK_ELEMENTS", 128)
    spec = make_spec((6, 5), "tanh", "softmax_ce", seed=1, input_dim=8)
    X, y = make_data(spec, M, rng)
    chunks, report = drain(iter_gradient_check(Network(spec), X, y))
    assert report.engine == "fast"
    assert len(chunks) > len(report.blocks)
    assert [c.done for c in chunks] == sorted(c.done for c in chunks)
    assert chunks[-1].done == chunks[-1].total == spec.n_params
    for c in chunks:
        np.testing.assert_array_equal(report.blocks[c.block].numeric.flat[c.flat], c.numeric)
        np.testing.assert_array_equal(report.blocks[c.block].kink.flat[c.flat], c.kink)


def test_cancel_restores_params(rng, monkeypatch):
    monkeypatch.setattr(fastcheck, "CHUNK_ELEMENTS", 64)
    spec = make_spec((6, 5), "tanh", "softmax_ce", seed=1, input_dim=8)
    net = Network(spec)
    before = snapshot(net.params)
    X, y = make_data(spec, M, rng)
    run = iter_gradient_check(net, X, y)
    first = next(run)
    assert 0 < first.done < first.total
    run.close()
    assert snapshot(net.params) == before


class _Protocol:
    """A plain model following the protocol: the fast engine cannot serve it."""

    def __init__(self, net: Network) -> None:
        self.net, self.params = net, net.params

    def loss(self, X, y):
        return self.net.loss(X, y)


class _OwnEvaluate(Network):
    def evaluate(self, *args, **kwargs):
        return super().evaluate(*args, **kwargs)


def test_fallbacks_say_why(rng):
    spec = make_spec((4, 3), "tanh", "softmax_ce", seed=1, keep_prob=0.7)
    X, y = make_data(spec, M, rng)
    resample = gradient_check(Network(spec), X, y, dropout="resample")
    assert resample.engine == "reference"
    assert any("reference loop" in w and "resample" in w for w in resample.warnings)
    plain = gradient_check(_Protocol(Network(make_spec((4, 3), seed=1))), X, y)
    assert plain.engine == "reference"
    assert any("built-in gradviz Network" in w for w in plain.warnings)
    own = gradient_check(_OwnEvaluate(make_spec((4, 3), seed=1)), X, y)
    assert own.engine == "reference"
    assert any("overrides Network.evaluate" in w for w in own.warnings)
    chosen = gradient_check(Network(spec), X, y, engine="reference")
    assert chosen.engine == "reference"
    assert not any("reference loop" in w for w in chosen.warnings)
    assert gradient_check(Network(spec), X, y).engine == "fast"


def test_asking_for_the_fast_engine_where_it_cannot_serve_raises(rng):
    spec = make_spec((4, 3), "tanh", "softmax_ce", seed=1, keep_prob=0.7)
    X, y = make_data(spec, M, rng)
    with pytest.raises(ValueError, match=r"engine .fast.*resample"):
        gradient_check(Network(spec), X, y, dropout="resample", engine="fast")


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
@pytest.mark.parametrize("loss", ["softmax_ce", "bce", "mse"])
def test_huge_steps_are_recomputed_directly(rng, activation, loss):
    """ε = 2: no series applies; activations and losses are recomputed at the perturbed point."""
    check(make_spec((3, 4), activation, loss, seed=1), rng, epsilon=2.0)


# -- the benchmark command ------------------------------------------------------------------------
def test_bench_prints_json_and_a_table(capsys):
    assert bench.main(["--nets", "small", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    (row,) = result["nets"]
    assert (row["net"], row["params"], row["reference_components"]) == ("small", 371, 371)
    assert row["within_bound"]
    assert row["max_abs_difference"] <= row["rounding_bound"]
    assert row["ratio"] == pytest.approx(row["fast_rate"] / row["reference_rate"])
    assert result["torch"] is None  # only measured with the medium net
    assert bench.main(["--nets", "small"]) == 0
    out = capsys.readouterr().out
    assert "comp/s" in out
    assert "small" in out


def test_bench_rejects_unknown_nets():
    with pytest.raises(SystemExit) as exit_info:
        bench.main(["--nets", "huge"])
    assert exit_info.value.code == 2


@pytest.mark.parametrize("loss", ["softmax_ce", "svm", "mse"])
def test_a_single_layer_net(rng, loss):
    check(make_spec((), "tanh", loss, seed=1, l2=0.1), rng)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_perturbed_losses_stay_in_the_network_dtype(rng, dtype, activation):
    spec = make_spec((4, 5), activation, "softmax_ce", seed=1, dtype=dtype, l2=0.1, keep_prob=0.8)
    net = Network(spec)
    X, y = make_data(spec, M, rng)
    evaluator = fastcheck.FastEvaluator(
        NetworkObjective(net, X, y, dropout="frozen", terms="all", loss_scale=2.0, seed=0))
    complex_type = None if dtype == "float16" else np.result_type(dtype, np.complex64)
    for name, block in net.params.items():
        J, _ = evaluator.values(name, np.arange(block.size), [1e-3, -1e-3])
        assert J.dtype == np.dtype(dtype)
        if complex_type is not None:
            assert evaluator.values(name, np.arange(block.size), [1e-20j])[0].dtype == complex_type


# -- pinned: one-sided differences, deep nets, kink flags, fallbacks --------------------------------
@pytest.mark.parametrize(("spec_options", "check_options"), [
    ({"keep_prob": 0.7}, {"dropout": "frozen"}),
    ({"l2": 0.3}, {"terms": "data"}),
    ({"l2": 0.3, "l1": 0.2}, {"terms": "reg"}),
    ({"l1": 0.2}, {}),
])
def test_forward_differences_start_from_the_objectives_own_loss(rng, spec_options, check_options):
    """J(θ + ε) − J(θ) with J(θ) under the same masks and terms: no constant cancels."""
    check(make_spec((4, 3), "tanh", "softmax_ce", seed=1, **spec_options), rng, method="forward",
          epsilon=1e-6, **check_options)


@pytest.mark.parametrize(("activation", "loss"), [("tanh", "softmax_ce"), ("sigmoid", "bce")])
def test_smooth_layers_after_the_first_hidden_one(rng, activation, loss):
    """Four layers: a change of W1 passes three activations, each applied once."""
    check(make_spec((3, 4, 5), activation, loss, seed=2), rng)


@pytest.mark.parametrize("seed", [0, 1, 5, 7])
def test_kinks_at_the_perturbed_layer_survive_the_layers_after_it(seed):
    """ReLUs everywhere with an L1 term: flags raised at the perturbed layer, in the next one or by
    a weight crossing zero stay raised whatever the later layers do."""
    spec = NetworkSpec(3, [LayerSpec(4, "relu"), LayerSpec(4, "relu"), LayerSpec(4, "relu"),
                           LayerSpec(3, "linear")], l1=0.5, seed=seed)
    net = Network(spec)
    net.set_params({k: v + (0.0 if k[0] == "W" else 0.05) for k, v in net.params.items()})
    X, y = make_data(spec, 4, np.random.default_rng(seed))
    fast, reference = both(net, X, y, epsilon=0.05)
    assert_same_numbers(fast, reference)
    assert any(block.kink.any() for block in reference.blocks.values())


def test_regularization_alone_still_tracks_the_relu_switches(rng):
    spec = NetworkSpec(3, [LayerSpec(4, "relu"), LayerSpec(2, "relu")], loss="mse", l2=0.2, seed=1)
    _, reference = check(spec, rng, terms="reg", epsilon=0.5)
    assert reference.blocks["W1"].kink.any()


def sigmoid_net(weight: float, dtype: str = "float32") -> Network:
    spec = NetworkSpec(1, [LayerSpec(1, "sigmoid")], loss="bce", dtype=dtype)
    return Network(spec, params={"W1": np.array([[weight]]), "b1": np.zeros((1, 1))})


def test_saturation_is_measured_in_the_networks_own_unit_roundoff():
    """σ(−10) ≈ 4.5e-5 is below 10⁴·u in float32 (6e-4) but far above it in float64."""
    X, y = np.ones((1, 2)), np.array([[0.0, 1.0]])
    single = gradient_check(sigmoid_net(10.0), X, y, epsilon=1e-2)
    assert single.engine == "reference"
    assert any("the output sigmoid saturates (4.5e-05 from 0 or 1 in float32), where the fast engine's bce "
               "change loses precision" in w for w in single.warnings)
    assert gradient_check(sigmoid_net(10.0, "float64"), X, y, epsilon=1e-2).engine == "fast"
    assert gradient_check(sigmoid_net(30.0), X, y, epsilon=1e-2, terms="reg").engine == "fast"


def test_why_the_fast_engine_cannot_serve_is_one_sentence():
    assert fastcheck.fast_unavailable(object(), "off") == "the fast engine needs the built-in gradviz Network"
    own = _OwnEvaluate(make_spec((4, 3), seed=1))
    assert fastcheck.fast_unavailable(own, "off") == ("_OwnEvaluate overrides Network.evaluate, which the "
                                                      "fast engine cannot follow")
    net = Network(make_spec((4, 3), seed=1))
    assert fastcheck.fast_unavailable(net, "resample") == ("dropout 'resample' draws a new mask for every "
                                                           "evaluation, which the fast engine cannot batch")
    assert fastcheck.fast_unavailable(net, "frozen") is None
