"""CS231n layers checked as they are written: forward(*args) -> (out, cache) beside
backward(dout, cache) -> grads. The layers and the course's eval_numerical_gradient_array are
written here; gradviz's numeric gradients must equal the course's, and a planted bug must be
localized to its argument."""

import numpy as np
import pytest

import gradviz


# -- the layers, the way the assignments write them -------------------------------------------
def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1) @ w + b
    return out, (x, w, b)


def affine_backward(dout, cache):
    x, w, _ = cache
    dx = (dout @ w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T @ dout
    db = dout.sum(axis=0)
    return dx, dw, db


def affine_backward_mean_db(dout, cache):
    dx, dw, _ = affine_backward(dout, cache)
    return dx, dw, dout.mean(axis=0)  # the bug: a mean instead of a sum over examples


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    dx = dout  # writes into dout, as many students' versions do
    dx[cache <= 0] = 0
    return dx


def relu_backward_leaky(dout, cache):
    return np.where(cache > 0, dout, 0.1 * dout)  # the bug: a leaky slope on the negative side


def batchnorm_forward(x, gamma, beta, bn_param):
    eps, momentum = bn_param.get("eps", 1e-5), bn_param.get("momentum", 0.9)
    running_mean = bn_param.get("running_mean", np.zeros(x.shape[1]))
    mu, var = x.mean(axis=0), x.var(axis=0)
    xhat = (x - mu) / np.sqrt(var + eps)
    bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mu  # updated in place
    return gamma * xhat + beta, (xhat, gamma, var, eps)


def batchnorm_backward(dout, cache):
    xhat, gamma, var, eps = cache
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xhat).sum(axis=0)
    dxhat = dout * gamma
    dx = (N * dxhat - dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0)) / (N * np.sqrt(var + eps))
    return dx, dgamma, dbeta


def batchnorm_backward_forgot_xhat(dout, cache):
    dx, _, dbeta = batchnorm_backward(dout, cache)
    return dx, dout.sum(axis=0), dbeta  # the bug: dgamma without xhat


def conv_forward_naive(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, _, H, W = x.shape
    F, _, HH, WW = w.shape
    Ho, Wo = 1 + (H + 2 * pad - HH) // stride, 1 + (W + 2 * pad - WW) // stride
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((N, F, Ho, Wo))
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    window = xp[n, :, i * stride : i * stride + HH, j * stride : j * stride + WW]
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]
    return out, (x, w, b, conv_param)


def conv_backward_naive(dout, cache, dw_scale=1.0):
    x, w, _, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, F, Ho, Wo = dout.shape
    HH, WW = w.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    db = dout.sum(axis=(0, 2, 3))
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    rows, cols = slice(i * stride, i * stride + HH), slice(j * stride, j * stride + WW)
                    dw[f] += xp[n, :, rows, cols] * dout[n, f, i, j]
                    dxp[n, :, rows, cols] += w[f] * dout[n, f, i, j]
    dx = dxp[:, :, pad : pad + x.shape[2], pad : pad + x.shape[3]]
    return dx, dw * dw_scale, db


def conv_backward_halved_dw(dout, cache):
    return conv_backward_naive(dout, cache, dw_scale=0.5)  # the bug: dw averaged over N = 2


def eval_numerical_gradient_array(f, x, df, h=1e-5):
    """The course's yardstick: the gradient of Σ f(x)·df, perturbing x in place."""
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=[["readwrite"]])
    while not it.finished:
        ix = it.multi_index
        old = x[ix]
        x[ix] = old + h
        pos = f(x).copy()
        x[ix] = old - h
        neg = f(x).copy()
        x[ix] = old
        grad[ix] = np.sum((pos - neg) * df) / (2 * h)
        it.iternext()
    return grad


# -- the cases ----------------------------------------------------------------------------------
def affine_case(rng):
    x, w, b = rng.standard_normal((3, 2, 3)), rng.standard_normal((6, 4)), rng.standard_normal(4)
    return affine_forward, affine_backward, affine_backward_mean_db, (x, w, b), "b"


def relu_case(rng):
    x = rng.standard_normal((4, 5))
    x[np.abs(x) < 0.05] = 0.5  # no pre-activation within a step of the kink
    return relu_forward, relu_backward, relu_backward_leaky, (x,), "x"


def batchnorm_case(rng):
    x = 3 + 2 * rng.standard_normal((6, 4))
    gamma, beta = 1 + 0.1 * rng.standard_normal(4), 0.1 * rng.standard_normal(4)
    return (batchnorm_forward, batchnorm_backward, batchnorm_backward_forgot_xhat,
            (x, gamma, beta, {"mode": "train"}), "gamma")


def conv_case(rng):
    x, w, b = rng.standard_normal((2, 2, 4, 4)), rng.standard_normal((3, 2, 3, 3)), rng.standard_normal(3)
    args = (x, w, b, {"stride": 1, "pad": 1})
    return conv_forward_naive, conv_backward_naive, conv_backward_halved_dw, args, "w"


CASES = {"affine": affine_case, "relu": relu_case, "batchnorm": batchnorm_case, "conv": conv_case}


@pytest.fixture
def rng():
    """Not the default seed 0 that also draws dout: an x drawn like dout makes batchnorm's dx ~0."""
    return np.random.default_rng(42)


@pytest.mark.parametrize("case", CASES)
def test_correct_layer_matches_the_course_numeric_gradient(case, rng):
    forward, backward, _, args, _ = CASES[case](rng)
    out, _ = forward(*args)
    dout = rng.standard_normal(out.shape)
    report = gradviz.check_layer(forward, backward, *args, dout=dout, epsilon=1e-5)
    assert report.conclusion != "bug"
    assert report.failing_blocks() == []
    float_args = [(i, a) for i, a in enumerate(args) if isinstance(a, np.ndarray)]
    assert len(report.blocks) == len(float_args)
    for (i, arg), block in zip(float_args, report.blocks.values(), strict=True):
        def f(v, i=i):
            return forward(*args[:i], v, *args[i + 1 :])[0]

        expected = eval_numerical_gradient_array(f, arg.copy(), dout, h=1e-5)
        assert block.numeric.shape == arg.shape
        np.testing.assert_allclose(block.numeric, expected, rtol=1e-6, atol=1e-8)
        assert block.cs231n_rel_error < 1e-6


@pytest.mark.parametrize("case", CASES)
def test_planted_bug_is_localized_to_its_argument(case, rng):
    forward, _, buggy, args, wrong = CASES[case](rng)
    report = gradviz.check_layer(forward, buggy, *args)
    assert report.conclusion == "bug"
    assert report.failing_blocks() == [wrong]
    assert report.blocks[wrong].cs231n_rel_error > 1e-3


def test_block_names_follow_the_forward_signature(rng):
    _, _, _, args, _ = conv_case(rng)
    model = gradviz.layer_model(conv_forward_naive, conv_backward_naive, *args)
    assert list(model.params) == ["x", "w", "b"]
    assert model.params["w"].shape == (3, 2, 3, 3)
    assert model.dout.shape == (2, 3, 4, 4)
    np.testing.assert_array_equal(model.dout, np.random.default_rng(0).standard_normal((2, 3, 4, 4)))


def test_unnamed_arguments_are_arg0_arg1(rng):
    def forward(*inputs):
        return inputs[0] * inputs[1], inputs

    def backward(dout, cache):
        return dout * cache[1], dout * cache[0]

    model = gradviz.layer_model(forward, backward, rng.standard_normal(3), rng.standard_normal(3))
    assert list(model.params) == ["arg0", "arg1"]
    assert gradviz.gradient_check(model).failing_blocks() == []


def test_wrt_narrows_by_name_or_position_and_picks_the_matching_gradient(rng):
    forward, _, buggy, args, _ = affine_case(rng)
    by_name = gradviz.check_layer(forward, buggy, *args, wrt=["w"])
    assert list(by_name.blocks) == ["w"]
    assert by_name.failing_blocks() == []  # dw (second of dx, dw, db) is right
    by_position = gradviz.check_layer(forward, buggy, *args, wrt=[2, 0])
    assert list(by_position.blocks) == ["x", "b"]
    assert by_position.failing_blocks() == ["b"]

    def backward_w_only(dout, cache):
        return affine_backward(dout, cache)[1]  # a bare array for the one checked argument

    assert gradviz.check_layer(forward, backward_w_only, *args, wrt="w").failing_blocks() == []


def test_pass_through_arguments_are_copied_for_every_call(rng):
    forward, backward, _, args, _ = batchnorm_case(rng)
    bn_param = args[3]
    x_before = args[0].copy()
    report = gradviz.check_layer(forward, backward, *args)
    assert bn_param == {"mode": "train"}  # the caller's dict never saw the running mean
    np.testing.assert_array_equal(args[0], x_before)
    assert not any("two different values" in w for w in report.warnings)


def test_a_forward_with_state_in_its_dict_is_one_function(rng):
    def forward(x, param):
        param["calls"] = param.get("calls", 0) + 1  # state a shared dict would carry over
        return x * param["calls"], x

    def backward(dout, cache):
        return dout

    report = gradviz.check_layer(forward, backward, rng.standard_normal(4), {})
    assert report.failing_blocks() == []
    assert report.difference < 1e-8


def test_int_arguments_pass_through(rng):
    def softmax_scores(x, y):
        return x[np.arange(len(y)), y], (x.shape, y)

    def backward(dout, cache):
        shape, y = cache
        dx = np.zeros(shape)
        dx[np.arange(len(y)), y] = dout
        return dx

    y = np.array([0, 2, 1])
    report = gradviz.check_layer(softmax_scores, backward, rng.standard_normal((3, 3)), y)
    assert list(report.blocks) == ["x"]
    assert report.failing_blocks() == []


@pytest.mark.parametrize(
    ("backward", "message"),
    [
        (lambda dout, cache: (dout @ cache[1].T, cache[0].T @ dout, dout.sum(0, keepdims=True)),
         r"gradient of b has shape \(1, 4\), expected \(4,\)"),
        (lambda dout, cache: (dout @ cache[1].T, cache[0].T @ dout),
         r"returned 2 gradients; expected 3, one per checked argument \(x, w, b\)"),
        (lambda dout, cache: (None, cache[0].T @ dout, dout.sum(0)), "None as the gradient of x"),
        (lambda dout, cache: dout, "returned one ndarray; expected a tuple"),
        (lambda dout, cache: (dout @ cache[1].T, (cache[0].T @ dout).astype(int), dout.sum(0)),
         r"gradient of w .* int64 values with shape \(6, 4\); expected a float array of shape \(6, 4\)"),
    ],
)
def test_malformed_gradients_name_the_block_and_shapes(rng, backward, message):
    x, w, b = rng.standard_normal((3, 6)), rng.standard_normal((6, 4)), rng.standard_normal(4)
    with pytest.raises(ValueError, match=message):
        gradviz.check_layer(affine_forward, backward, x, w, b)


class Tensor:
    """Stands in for torch.Tensor: gradviz tells it by its module, without importing torch."""


Tensor.__module__ = "torch"


def test_torch_tensors_point_at_the_torch_adapter(rng):
    x = rng.standard_normal((2, 3))
    with pytest.raises(ValueError, match=r"gradient of x: .*gradviz\.torch"):
        gradviz.check_layer(relu_forward, lambda dout, cache: Tensor(), x)
    with pytest.raises(ValueError, match=r"argument x is a torch.Tensor.*gradviz\.torch"):
        gradviz.layer_model(relu_forward, relu_backward, Tensor())


def test_bad_set_ups_are_named(rng):
    x = rng.standard_normal((2, 3))
    with pytest.raises(ValueError, match="no argument is a float numpy array"):
        gradviz.layer_model(relu_forward, relu_backward, np.arange(3))
    with pytest.raises(ValueError, match=r"wrt names y, a int64 array"):
        gradviz.layer_model(lambda x, y: (x, None), relu_backward, x, np.arange(2), wrt="y")
    with pytest.raises(ValueError, match=r"wrt must name arguments .* among x \(position 0\)"):
        gradviz.layer_model(relu_forward, relu_backward, x, wrt="w")
    with pytest.raises(ValueError, match=r"dout has shape \(3,\), expected \(2, 3\)"):
        gradviz.layer_model(relu_forward, relu_backward, x, dout=np.ones(3))
    with pytest.raises(ValueError, match=r"must return \(out, cache\)"):
        gradviz.layer_model(lambda x: x, relu_backward, x)
    with pytest.raises(ValueError, match="cannot take these 2 argument"):
        gradviz.layer_model(relu_forward, relu_backward, x, x)


def test_scalar_and_vector_arguments(rng):
    def scale_forward(x, a):
        return a * x, (x, a)

    def scale_backward(dout, cache):
        x, a = cache
        return dout * a, np.sum(dout * x)

    report = gradviz.check_layer(scale_forward, scale_backward, rng.standard_normal(5), np.array(1.5))
    assert report.blocks["a"].analytic.shape == ()
    assert report.failing_blocks() == []
    assert report.worst(1)[0].index in {(), (0,), (1,), (2,), (3,), (4,)}


def test_quick_check_and_sweep_take_a_layer_without_x_and_y(rng):
    forward, _, buggy, args, _ = affine_case(rng)
    quick = gradviz.quick_check(gradviz.layer_model(forward, buggy, *args))
    assert quick.failing_blocks() == ["b"]
    x, gamma, beta, bn_param = batchnorm_case(rng)[3]
    model = gradviz.layer_model(batchnorm_forward, batchnorm_backward, x, gamma, beta, bn_param)
    sweep = gradviz.epsilon_sweep(model, block="x", index=(0, 0), dtypes=["float64"],
                                  methods=["centered"])
    assert sweep.slopes[("float64", "centered")] == pytest.approx(2, abs=0.3)  # truncation ∝ ε²
    assert sweep.best_error[("float64", "centered")] < 1e-8
