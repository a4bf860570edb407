"""Coursera's gradient-checking assignment as it is written: forward_propagation_n /
backward_propagation_n over a parameter dict, gradients keyed dW1 plus dZ1, dA1…, the two planted
bugs (dW2 doubled, db1 with 4./m), the assignment's test case, and its own check loop."""

import numpy as np
import pytest

import gradviz
from tests.coursera import (
    backward_fixed,
    backward_propagation_n,
    forward_propagation_n,
    gradient_check_n_test_case,
)


def gradient_check_n(parameters, gradients, X, Y, epsilon=1e-7):
    """The assignment's loop over the flattened θ: the independent yardstick."""
    keys = list(parameters)
    theta = np.concatenate([parameters[k].reshape(-1) for k in keys])
    grad = np.concatenate([gradients["d" + k].reshape(-1) for k in keys])

    def unflatten(vector):
        out, start = {}, 0
        for k in keys:
            size = parameters[k].size
            out[k] = vector[start : start + size].reshape(parameters[k].shape)
            start += size
        return out

    approx = np.zeros_like(theta)
    for i in range(theta.size):
        plus, minus = theta.copy(), theta.copy()
        plus[i] += epsilon
        minus[i] -= epsilon
        J_plus, _ = forward_propagation_n(X, Y, unflatten(plus))
        J_minus, _ = forward_propagation_n(X, Y, unflatten(minus))
        approx[i] = (J_plus - J_minus) / (2 * epsilon)
    return np.linalg.norm(grad - approx) / (np.linalg.norm(grad) + np.linalg.norm(approx))


@pytest.mark.parametrize(("backward", "expected", "failing"), [
    (backward_propagation_n, 0.2850931567761624, {"W2", "b1"}),
    (backward_fixed, 1.1890913024229996e-07, set()),
])
def test_the_assignment_reproduces_its_numbers(backward, expected, failing):
    X, Y, parameters = gradient_check_n_test_case()
    model = gradviz.propagation_model(forward_propagation_n, backward, parameters, X, Y)
    report = gradviz.gradient_check(model)
    _, cache = forward_propagation_n(X, Y, parameters)
    yardstick = gradient_check_n(parameters, backward(X, Y, cache), X, Y)
    assert report.difference == pytest.approx(yardstick, rel=1e-9)
    assert report.difference == pytest.approx(expected, rel=1e-6)
    assert set(report.failing_blocks()) == failing
    assert (report.conclusion == "bug") == bool(failing)
    assert list(report.blocks) == ["W1", "b1", "W2", "b2", "W3", "b3"]


def test_cost_and_grad_functions_with_course_keys():
    X, Y, parameters = gradient_check_n_test_case()
    before = {k: v.copy() for k, v in parameters.items()}

    def cost(p):
        return forward_propagation_n(X, Y, p)[0]

    def grad(p):
        return backward_propagation_n(X, Y, forward_propagation_n(X, Y, p)[1])

    report = gradviz.gradient_check(gradviz.function_model(cost, grad, parameters))
    assert report.difference == pytest.approx(0.2850931567761624, rel=1e-6)
    assert set(report.failing_blocks()) == {"W2", "b1"}
    assert report.blocks["W2"].diagnosis.factor == pytest.approx(2.0, rel=1e-4)
    for k, v in before.items():  # the notebook's dict is left alone
        np.testing.assert_array_equal(parameters[k], v)


def test_gradients_keyed_like_the_parameters(rng):
    A = rng.standard_normal((3, 3))
    params = {"W": rng.standard_normal((3, 2)), "s": np.array(0.5)}

    def cost(p):
        return float(np.sum((A @ p["W"]) ** 2) * p["s"] ** 2)

    def grad(p):
        return {"W": 2 * p["s"] ** 2 * A.T @ (A @ p["W"]), "ds": 2 * p["s"] * np.sum((A @ p["W"]) ** 2),
                "extra": np.zeros(7)}

    report = gradviz.gradient_check(gradviz.function_model(cost, grad, params))
    assert report.failing_blocks() == []
    assert report.blocks["s"].analytic.shape == ()


def test_a_parameter_without_gradient_is_named():
    X, Y, parameters = gradient_check_n_test_case()

    def backward_without_db3(X, Y, cache):
        grads = backward_fixed(X, Y, cache)
        del grads["db3"]
        return grads

    model = gradviz.propagation_model(forward_propagation_n, backward_without_db3, parameters, X, Y)
    with pytest.raises(ValueError, match=r"backward_without_db3\(X, Y, cache\) returned no gradient "
                                         r"for b3 \(shape \(1, 1\)\).*'db3'"):
        gradviz.gradient_check(model)


def test_wrong_shapes_and_types_are_named():
    X, Y, parameters = gradient_check_n_test_case()

    def flat_db2(X, Y, cache):
        grads = backward_fixed(X, Y, cache)
        return {**grads, "db2": grads["db2"].ravel()}

    model = gradviz.propagation_model(forward_propagation_n, flat_db2, parameters, X, Y)
    with pytest.raises(ValueError, match=r"gradient of b2 has shape \(3,\), expected \(3, 1\)"):
        gradviz.gradient_check(model)
    with pytest.raises(ValueError, match="must return a dict of gradients"):
        gradviz.gradient_check(gradviz.function_model(lambda p: 0.0, lambda p: [1.0], {"w": np.ones(1)}))
    with pytest.raises(ValueError, match="both w and dw"):
        gradviz.gradient_check(gradviz.function_model(
            lambda p: 0.0, lambda p: {"w": np.ones(1), "dw": np.ones(1)}, {"w": np.ones(1)}))
    with pytest.raises(ValueError, match=r"must return \(cost, cache\)"):
        gradviz.gradient_check(gradviz.propagation_model(
            lambda X, Y, p: 1.0, backward_fixed, parameters, X, Y))


@pytest.mark.parametrize(("value", "message"), [
    (np.ones((2, 2), dtype=int), r"params\['W1'\] holds int64 values.*astype\(np.float64\)"),
    (np.ones((2, 2), dtype=complex), r"params\['W1'\] is complex128: gradviz checks real"),
    ([[1.0, 2.0]], r"params\['W1'\] is a list, not a numpy array"),
])
def test_int_complex_and_list_parameters_are_refused(value, message):
    with pytest.raises(ValueError, match=message):
        gradviz.function_model(lambda p: 0.0, lambda p: {}, {"W1": value})


class Protocol:
    """A model of the protocol itself, with parameters of a given kind."""

    def __init__(self, value):
        self.params = {"W1": value}

    def loss(self, X, y):
        return 0.0, {"W1": np.zeros(np.shape(self.params["W1"]))}


def test_model_protocol_refuses_int_and_complex_parameters():
    with pytest.raises(ValueError, match=r"model.params\['W1'\] holds int64"):
        gradviz.gradient_check(Protocol(np.ones(3, dtype=int)))
    with pytest.raises(ValueError, match=r"model.params\['W1'\] is complex128"):
        gradviz.gradient_check(Protocol(np.ones(3, dtype=complex)))
