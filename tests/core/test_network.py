"""The built-in Network against an independent forward/backward written here from the course
formulas, the J contract (data mean + L2 + L1, biases unregularized), dropout and init."""

import numpy as np
import pytest
from helpers import exactly, make_data, make_spec

from gradviz.core import LayerSpec, Network, NetworkSpec, validate_data

ACTIVATIONS = ["relu", "leaky_relu", "tanh", "sigmoid", "linear"]
LOSSES = ["softmax_ce", "svm", "bce", "mse"]


# -- an independent implementation (course notation, plain numpy) ------------------------------
def g(kind: str, Z: np.ndarray) -> np.ndarray:
    return {
        "relu": lambda: np.maximum(Z, 0.0),
        "leaky_relu": lambda: np.where(Z > 0, Z, 0.01 * Z),
        "tanh": lambda: np.tanh(Z),
        "sigmoid": lambda: 1.0 / (1.0 + np.exp(-Z)),
        "linear": lambda: Z,
    }[kind]()


def g_prime(kind: str, Z: np.ndarray) -> np.ndarray:
    return {
        "relu": lambda: (Z > 0).astype(float),
        "leaky_relu": lambda: np.where(Z > 0, 1.0, 0.01),
        "tanh": lambda: 1.0 - np.tanh(Z) ** 2,
        "sigmoid": lambda: g("sigmoid", Z) * (1.0 - g("sigmoid", Z)),
        "linear": lambda: np.ones_like(Z),
    }[kind]()


def data_loss_and_grad(loss: str, a: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean loss over the m columns of a, and its gradient dJ/da (already divided by m)."""
    m = a.shape[1]
    if loss == "softmax_ce":
        e = np.exp(a - a.max(axis=0))
        p = e / e.sum(axis=0)
        Y = np.zeros_like(a)
        Y[y, np.arange(m)] = 1.0
        return float(-np.sum(Y * np.log(p)) / m), (p - Y) / m
    if loss == "svm":
        J, da = 0.0, np.zeros_like(a)
        for i in range(m):
            for j in range(a.shape[0]):
                if j == y[i]:
                    continue
                margin = a[j, i] - a[y[i], i] + 1.0
                if margin > 0:
                    J += margin
                    da[j, i] += 1.0
                    da[y[i], i] -= 1.0
        return J / m, da / m
    if loss == "bce":
        J = -np.sum(y * np.log(a) + (1 - y) * np.log(1 - a)) / m
        return float(J), (-(y / a) + (1 - y) / (1 - a)) / m
    return float(np.sum((a - y) ** 2) / (2 * m)), (a - y) / m


def reference(spec: NetworkSpec, params, X, y, masks=None):
    """J and grads by hand: forward with inverted dropout, then backprop layer by layer."""
    masks = masks or {}
    m, L = X.shape[1], len(spec.layers)
    A, cache = X, []
    for l, layer in enumerate(spec.layers, start=1):
        Z = params[f"W{l}"] @ A + params[f"b{l}"]
        A_next = g(layer.activation, Z)
        if l in masks:
            A_next = A_next * masks[l] / layer.keep_prob
        cache.append((A, Z))
        A = A_next
    J, dA = data_loss_and_grad(spec.loss, A, y)
    Ws = [params[f"W{l}"] for l in range(1, L + 1)]
    J += spec.l2 / (2 * m) * sum(np.sum(W**2) for W in Ws)
    J += spec.l1 / (2 * m) * sum(np.sum(np.abs(W)) for W in Ws)
    grads = {}
    for l in range(L, 0, -1):
        A_prev, Z = cache[l - 1]
        W = params[f"W{l}"]
        dZ = dA * g_prime(spec.layers[l - 1].activation, Z)
        grads[f"W{l}"] = dZ @ A_prev.T + spec.l2 / m * W + spec.l1 / (2 * m) * np.sign(W)
        grads[f"b{l}"] = dZ.sum(axis=1, keepdims=True)
        dA = W.T @ dZ
        if l - 1 in masks:
            dA = dA * masks[l - 1] / spec.layers[l - 2].keep_prob
    return J, grads


def random_params(spec: NetworkSpec, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Non-zero biases too, so the bias paths are exercised."""
    sizes = spec.sizes
    params = {}
    for l in range(1, len(sizes)):
        params[f"W{l}"] = rng.standard_normal((sizes[l], sizes[l - 1])) * 0.7
        params[f"b{l}"] = rng.standard_normal((sizes[l], 1)) * 0.3
    return params


def assert_matches_reference(spec, rng, m=5, masks_from=None):
    net = Network(spec, random_params(spec, rng))
    X, y = validate_data(spec, *make_data(spec, m, rng))
    masks = None if masks_from is None else net.draw_masks(m, np.random.default_rng(masks_from))
    ev = net.evaluate(X, y, masks=masks)
    J, grads = reference(spec, net.params, X, y, masks)
    # bce: the engine's log(1 - a) from the logit is more accurate than the reference's
    assert float(ev.J) == pytest.approx(J, rel=1e-9)
    assert list(ev.grads) == list(net.params)
    assert set(ev.grads) == set(grads)
    for name, grad in grads.items():
        np.testing.assert_allclose(ev.grads[name], grad, rtol=1e-9, atol=1e-12, err_msg=name)


# -- backprop against the reference ----------------------------------------------------------------
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("loss", LOSSES)
def test_backprop_matches_reference(rng, activation, loss):
    assert_matches_reference(make_spec((4, 3), activation, loss), rng)


@pytest.mark.parametrize("output", ACTIVATIONS)
def test_backprop_mse_with_any_output_activation(rng, output):
    spec = NetworkSpec(3, [LayerSpec(4, "tanh"), LayerSpec(2, output)], loss="mse")
    assert_matches_reference(spec, rng)


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize(("l2", "l1"), [(0.7, 0.0), (0.0, 0.4), (0.3, 0.2)])
def test_backprop_with_regularization_matches_reference(rng, loss, l2, l1):
    assert_matches_reference(make_spec((4, 3), "tanh", loss, l2=l2, l1=l1), rng)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
@pytest.mark.parametrize("loss", LOSSES)
def test_backprop_with_dropout_matches_reference_with_the_same_masks(rng, activation, loss):
    spec = make_spec((5, 4), activation, loss, keep_prob=0.6, l2=0.2)
    assert_matches_reference(spec, rng, m=6, masks_from=7)


def test_single_layer_network_matches_reference(rng):
    spec = NetworkSpec(3, [LayerSpec(3, "linear")], loss="softmax_ce", l2=0.5)
    assert_matches_reference(spec, rng)


# -- the J contract -----------------------------------------------------------------------------
def test_J_is_data_mean_plus_l2_plus_l1_and_biases_are_not_regularized(rng):
    spec = make_spec((4, 3), "tanh", "softmax_ce", l2=0.8, l1=0.3)
    net = Network(spec, random_params(spec, rng))
    m = 5
    X, y = validate_data(spec, *make_data(spec, m, rng))
    data = net.evaluate(X, y, terms="data").J
    reg = net.evaluate(X, y, terms="reg").J
    total = net.evaluate(X, y, terms="all").J
    Ws = [net.params[f"W{l}"] for l in (1, 2, 3)]
    expected_reg = 0.8 / (2 * m) * sum(np.sum(W**2) for W in Ws) + 0.3 / (2 * m) * sum(
        np.sum(np.abs(W)) for W in Ws
    )
    assert reg == pytest.approx(expected_reg, rel=1e-13)
    assert total == pytest.approx(data + reg, rel=1e-13)
    assert data == pytest.approx(data_loss_and_grad("softmax_ce", net.scores(X), y)[0], rel=1e-12)

    shifted = {**net.params, "b1": net.params["b1"] + 5.0, "b3": net.params["b3"] - 2.0}
    assert float(net.evaluate(X, y, params=shifted, terms="reg").J) == pytest.approx(reg, rel=1e-15)
    reg_grads = net.evaluate(X, y, terms="reg").grads
    for l, W in enumerate(Ws, start=1):
        np.testing.assert_allclose(reg_grads[f"W{l}"], 0.8 / m * W + 0.3 / (2 * m) * np.sign(W))
        np.testing.assert_array_equal(reg_grads[f"b{l}"], 0.0)


def test_data_term_ignores_regularization(rng):
    spec = make_spec((4,), "tanh", "mse", l2=3.0)
    params = random_params(spec, rng)
    X, y = validate_data(spec, *make_data(spec, 4, rng))
    with_reg = Network(spec, params).evaluate(X, y, terms="data")
    no_reg = Network(make_spec((4,), "tanh", "mse"), params).evaluate(X, y)
    assert float(with_reg.J) == pytest.approx(no_reg.J, rel=1e-15)
    for name in params:
        np.testing.assert_allclose(with_reg.grads[name], no_reg.grads[name], rtol=1e-14)


def test_dropout_masks_only_hidden_layers():
    layers = [LayerSpec(4, "tanh", 0.5), LayerSpec(3, "tanh", 1.0), LayerSpec(5, "relu", 0.8),
              LayerSpec(2, "tanh", 0.5)]
    net = Network(NetworkSpec(3, layers, loss="mse"))
    masks = net.draw_masks(7, np.random.default_rng(0))
    assert sorted(masks) == [1, 3]  # layer 2 keeps everything, layer 4 is the output
    assert masks[1].shape == (4, 7)
    assert masks[3].shape == (5, 7)
    assert masks[1].dtype == bool


def test_inverted_dropout_forward(rng):
    spec = make_spec((6,), "tanh", "mse", keep_prob=0.5)
    net = Network(spec, random_params(spec, rng))
    X, y = validate_data(spec, *make_data(spec, 4, rng))
    mask = np.ones((6, 4), dtype=bool)
    mask[::2] = False
    cost = net.evaluate(X, y, masks={1: mask}, backprop=False).J
    A1 = np.tanh(net.params["W1"] @ X + net.params["b1"]) * mask / 0.5
    a2 = np.tanh(net.params["W2"] @ A1 + net.params["b2"])
    assert cost == pytest.approx(np.sum((a2 - y) ** 2) / 8, rel=1e-13)


def test_no_masks_means_no_dropout(rng):
    spec = make_spec((6,), "tanh", "mse", keep_prob=0.5)
    params = random_params(spec, rng)
    X, y = validate_data(spec, *make_data(spec, 4, rng))
    J_masked_off = Network(spec, params).evaluate(X, y, masks=None).J
    J_plain = Network(make_spec((6,), "tanh", "mse"), params).evaluate(X, y).J
    assert J_masked_off == J_plain


def test_loss_draws_fresh_masks_in_training_mode(rng):
    spec = make_spec((8, 8), "tanh", "softmax_ce", keep_prob=0.5)
    X, y = make_data(spec, 6, rng)
    net = Network(spec)
    J1, grads = net.loss(X, y)
    J2, _ = net.loss(X, y)
    assert isinstance(J1, float)
    assert set(grads) == set(net.params)
    assert J1 != J2
    plain = Network(make_spec((8, 8), "tanh", "softmax_ce"))
    assert plain.loss(X, y)[0] == plain.loss(X, y)[0]


# -- initialization -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("init", "variance"),
    [("he", 2 / 400), ("xavier", 1 / 400), ("glorot", 2 / (400 + 300)), ("small", 1e-4)],
)
def test_init_variance(init, variance):
    spec = NetworkSpec(400, [LayerSpec(300, "relu"), LayerSpec(2, "linear")], init=init, seed=5)
    W = Network(spec).params["W1"]
    assert W.shape == (300, 400)
    # 120 000 draws: the sample variance is within about 0.4% (one standard error)
    assert W.var() == pytest.approx(variance, rel=0.03)
    assert abs(W.mean()) < 4 * np.sqrt(variance / W.size)
    np.testing.assert_array_equal(Network(spec).params["b1"], 0.0)


def test_zeros_init_and_bias_shapes():
    net = Network(NetworkSpec(4, [LayerSpec(3, "tanh"), LayerSpec(2, "linear")], init="zeros"))
    for name, shape in [("W1", (3, 4)), ("b1", (3, 1)), ("W2", (2, 3)), ("b2", (2, 1))]:
        assert net.params[name].shape == shape
        np.testing.assert_array_equal(net.params[name], 0.0)
    assert list(net.params) == ["W1", "b1", "W2", "b2"]


def test_init_is_seeded_and_in_the_spec_dtype():
    spec = make_spec((4,), "tanh", "softmax_ce", dtype="float32", seed=3)
    a, b = Network(spec).params, Network(spec).params
    for name in a:
        assert a[name].dtype == np.float32
        np.testing.assert_array_equal(a[name], b[name])
    other = Network(make_spec((4,), "tanh", "softmax_ce", dtype="float32", seed=4)).params
    assert not np.array_equal(a["W1"], other["W1"])


def test_layer_init_overrides_network_init():
    spec = NetworkSpec(300, [LayerSpec(200, "tanh", init="small"), LayerSpec(200, "tanh")],
                       loss="mse", init="xavier")
    params = Network(spec).params
    assert params["W1"].std() == pytest.approx(0.01, rel=0.03)
    assert params["W2"].std() == pytest.approx(np.sqrt(1 / 200), rel=0.03)


# -- parameters, bugs, inference ----------------------------------------------------------------
def test_set_params_validates_and_casts(rng):
    spec = make_spec((3,), "tanh", "softmax_ce", dtype="float32")
    net = Network(spec)
    params = random_params(spec, rng)
    net.set_params(params)
    assert net.params["W1"].dtype == np.float32
    np.testing.assert_allclose(net.params["W1"], params["W1"], rtol=1e-6)
    with pytest.raises(ValueError, match="W1"):
        net.set_params({**params, "W1": np.zeros((2, 2))})
    with pytest.raises(ValueError, match="b2"):
        net.set_params({k: v for k, v in params.items() if k != "b2"})
    with pytest.raises(ValueError, match="NaN"):
        net.set_params({**params, "b1": np.full((3, 1), np.nan)})


def test_inject_bug_validates():
    net = Network(make_spec((4, 4), "tanh", "softmax_ce"))
    with pytest.raises(ValueError, match="bug kind"):
        net.inject_bug("dW_x3", 1)
    with pytest.raises(ValueError, match="layer"):
        net.inject_bug("dW_x2", 4)
    with pytest.raises(ValueError, match="square"):
        net.inject_bug("dW_transposed", 1)
    net.inject_bug("dW_transposed", 2)
    assert str(net.bug) == "dW_transposed:2"
    net.clear_bug()
    assert net.bug is None


def test_dropout_bugs_need_dropout_at_their_layer():
    spec = NetworkSpec(3, [LayerSpec(4, "tanh", 0.8), LayerSpec(4, "tanh"), LayerSpec(2, "linear")])
    net = Network(spec)
    net.inject_bug("dropout_mask_missing", 1)
    assert str(net.bug) == "dropout_mask_missing:1"
    with pytest.raises(ValueError, match="keep_prob below 1"):
        net.inject_bug("dropout_scale_missing", 2)
    with pytest.raises(ValueError, match="output"):
        net.inject_bug("dropout_mask_missing", 3)
    assert str(net.bug) == "dropout_mask_missing:1"  # a rejected bug leaves the planted one
    with pytest.raises(ValueError, match="l2 or l1"):
        net.inject_bug("dW_no_reg", 1)  # invisible without regularization


def test_bugs_leave_J_alone(rng):
    spec = make_spec((4, 4), "tanh", "softmax_ce", l2=0.1)
    X, y = validate_data(spec, *make_data(spec, 5, rng))
    net = Network(spec)
    J = net.evaluate(X, y).J
    net.inject_bug("act_deriv", 2)
    assert net.evaluate(X, y).J == J


def test_predict(rng):
    spec = make_spec((4,), "tanh", "softmax_ce")
    net = Network(spec)
    X = rng.standard_normal((3, 6))
    np.testing.assert_array_equal(net.predict(X), np.argmax(net.scores(X), axis=0))
    bce = Network(make_spec((4,), "tanh", "bce"))
    np.testing.assert_array_equal(bce.predict(X), (bce.scores(X)[0] > 0.5).astype(int))


def test_validate_data_layouts(rng):
    spec = make_spec((3,), "tanh", "softmax_ce")
    X = rng.standard_normal((3, 4))
    _, y = validate_data(spec, X, [[0, 1, 2, 1]])
    assert y.shape == (4,)
    assert y.dtype.kind == "i"
    mse1 = NetworkSpec(3, [LayerSpec(1, "linear")], loss="mse")
    assert validate_data(mse1, X, [0.1, 0.2, 0.3, 0.4])[1].shape == (1, 4)
    with pytest.raises(ValueError, match="X must have shape"):
        validate_data(spec, X.T, [0, 1, 2])


# -- messages, dtypes and edges pinned -----------------------------------------------------------
SOFTMAX = NetworkSpec(2, [LayerSpec(3, "linear")])
MSE = NetworkSpec(2, [LayerSpec(3, "linear")], loss="mse")
BCE = NetworkSpec(2, [LayerSpec(1, "sigmoid")], loss="bce")


@pytest.mark.parametrize(
    ("spec", "X", "y", "message"),
    [
        (SOFTMAX, np.ones((2, 3)), None, "the built-in Network needs examples: pass X and y"),
        (SOFTMAX, [["a", "b"], ["c", "d"]], [0, 1], "X must be numeric"),
        (SOFTMAX, object(), [0], "X must be numeric"),
        (SOFTMAX, np.ones((2, 0)), [], "X holds no examples"),
        (SOFTMAX, [[np.nan], [1.0]], [0], "X contains NaN or Inf"),
        (SOFTMAX, np.ones((2, 2)), ["a", "b"], "y must be numeric"),
        (SOFTMAX, np.ones((2, 2)), [np.inf, 0], "y contains NaN or Inf"),
        (SOFTMAX, np.ones((2, 3)), np.zeros((2, 3)), "y must hold 3 integer labels, shape (3,); got (2, 3)"),
        (SOFTMAX, np.ones((2, 2)), [0, 3], "labels must be integers in 0..2 for 3 classes"),
        (BCE, np.ones((2, 2)), [0, 2], "labels must be 0 or 1 for bce"),
        (MSE, np.ones((2, 2)), [0.5, 1.0], "y must have shape (3, 2) for mse; got (2,)"),
    ],
)
def test_data_faults_are_named(spec, X, y, message):
    with pytest.raises(ValueError, match=exactly(message)):
        validate_data(spec, X, y)


def test_validated_data_is_float64_in_the_losss_layout():
    X, y = validate_data(MSE, [[1, 2], [3, 4]], [[1, 0], [0, 1], [0, 0]])
    assert (X.dtype, y.dtype) == (np.float64, np.float64)
    _, labels = validate_data(BCE, np.ones((2, 3)), [1, 0, 1])
    assert labels.shape == (1, 3)
    one_output = NetworkSpec(2, [LayerSpec(1, "linear")], loss="mse")
    _, single = validate_data(one_output, np.ones((2, 3)), [1, 2, 3])
    assert single.shape == (1, 3)


def test_network_and_parameter_faults_are_named():
    with pytest.raises(ValueError, match=exactly("spec must be a NetworkSpec; got 'x'")):
        Network("x")
    net = Network(SOFTMAX)
    message = "params must be a dict of arrays keyed W1, b1, ...; got [1]"
    with pytest.raises(ValueError, match=exactly(message)):
        net.set_params([1])
    complex_W = {**net.params, "W1": net.params["W1"].astype(complex)}
    with pytest.raises(ValueError, match=exactly("W1 must hold real numbers; it has dtype complex128 "
                                                 "(complex parameters are not supported)")):
        net.set_params(complex_W)
    with pytest.raises(ValueError, match=exactly("W1 must hold real numbers; it has dtype <U1")):
        net.set_params({**net.params, "W1": np.full((3, 2), "a")})
    with pytest.raises(ValueError, match=exactly("dW_no_reg needs regularization: set l2 or l1 above 0")):
        net.inject_bug("dW_no_reg", 1)


def test_inference_stays_in_the_networks_dtype_and_half_is_class_zero():
    net = Network(NetworkSpec(2, [LayerSpec(1, "sigmoid")], loss="bce", dtype="float32", init="zeros"))
    assert net.scores(np.ones((2, 3))).dtype == np.float32
    labels = net.predict(np.ones((2, 3)))  # σ(0) = 0.5 exactly: not above one half
    assert labels.tolist() == [0, 0, 0]
    assert labels.dtype == np.intp


def test_the_l1_subgradient_at_a_zero_weight_is_zero():
    net = Network(NetworkSpec(2, [LayerSpec(3, "linear")], l1=0.5, init="zeros"))
    grads = net.evaluate(np.ones((2, 4)), np.array([0, 1, 2, 0]), terms="reg").grads
    np.testing.assert_array_equal(grads["W1"], np.zeros((3, 2)))


def test_a_flipped_loss_gradient_flips_bce_even_where_the_output_saturates():
    spec = NetworkSpec(2, [LayerSpec(3, "tanh"), LayerSpec(1, "sigmoid")], loss="bce")
    net = Network(spec)
    net.set_params({**net.params, "b2": np.array([[40.0]])})  # σ rounds to 1: dA is not finite
    X, y = np.random.default_rng(1).standard_normal((2, 4)), np.array([[1.0, 0.0, 1.0, 0.0]])
    right = net.evaluate(X, y).grads
    net.inject_bug("dscores_sign", 2)
    flipped = net.evaluate(X, y).grads
    for name, grad in right.items():
        np.testing.assert_array_equal(flipped[name], -grad)
