"""The data's plane (the inputs, or their first two principal components) and the decision grid
over it."""

import numpy as np
import pytest

from gradviz.core import LayerSpec, Network, NetworkSpec
from gradviz.core.teach.boundary import (
    MAX_RESOLUTION,
    MIN_RESOLUTION,
    data_plane,
    decision_grid,
    grid_resolution,
)


def test_two_d_inputs_are_drawn_as_they_are(rng):
    X = rng.normal(size=(2, 30)) * 5 + 3
    plane = data_plane(X)
    assert not plane.is_projection
    assert plane.explained == 1.0
    np.testing.assert_allclose(plane.project(X), X)
    np.testing.assert_allclose(plane.lift(X[:, :4]), X[:, :4])


def test_many_inputs_are_projected_on_their_first_two_principal_components(rng):
    # variance 25 and 4 along two directions, 0.01 along the other 3
    basis, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    Z = rng.normal(size=(5, 400)) * np.array([[5.0], [2.0], [0.1], [0.1], [0.1]])
    X = basis @ Z + 7.0
    plane = data_plane(X)
    assert plane.is_projection
    assert plane.explained > 0.99
    for k in (0, 1):  # the axes span the two wide directions (up to sign)
        assert abs(plane.axes[:, k] @ basis[:, k]) == pytest.approx(1.0, abs=1e-2)
    P = plane.project(X)
    assert P.shape == (2, 400)
    assert np.var(P[0]) == pytest.approx(np.var(Z[0]), rel=1e-2)
    np.testing.assert_allclose(plane.project(plane.lift(P)), P, atol=1e-9)


def test_the_decision_grid_follows_the_network():
    # one linear layer: class 1 wins where x > 0 (scores [0, x] for x = the first input)
    spec = NetworkSpec(2, [LayerSpec(2, "linear")])
    net = Network(spec, params={"W1": np.array([[0.0, 0.0], [1.0, 0.0]]), "b1": np.zeros((2, 1))})
    plane = data_plane(np.zeros((2, 3)))
    classes, confidence = decision_grid(net, plane, (-1.0, 1.0), (-2.0, 2.0), 5)
    assert classes.shape == confidence.shape == (5, 5)
    np.testing.assert_array_equal(classes, np.tile([0, 0, 0, 1, 1], (5, 1)))  # x = 0 ties: class 0
    p = 1 / (1 + np.exp(-1.0))  # softmax of [0, 1] at x = 1
    assert confidence[0, 4] == pytest.approx(p)
    assert confidence[0, 2] == pytest.approx(0.5)


def test_bce_grid_reads_the_sigmoid(rng):
    spec = NetworkSpec(2, [LayerSpec(1, "sigmoid")], loss="bce")
    net = Network(spec, params={"W1": np.array([[0.0, 3.0]]), "b1": np.zeros((1, 1))})
    classes, confidence = decision_grid(net, data_plane(np.zeros((2, 1))), (-1.0, 1.0), (-1.0, 1.0), 3)
    np.testing.assert_array_equal(classes[:, 0], [0, 0, 1])  # rows go up in y
    assert confidence[2, 0] == pytest.approx(2 / (1 + np.exp(-3.0)) - 1)


def test_grid_resolution_shrinks_for_big_networks():
    small = Network(NetworkSpec(2, [LayerSpec(16), LayerSpec(3, "linear")]))
    big = Network(NetworkSpec(784, [LayerSpec(256, "tanh"), LayerSpec(10, "linear")]))
    assert grid_resolution(small) == MAX_RESOLUTION
    assert grid_resolution(big) == MIN_RESOLUTION
