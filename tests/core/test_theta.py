"""θ: the blocks W1, b1, ..., WL, bL flattened into one vector, and back."""

import numpy as np
import pytest
from helpers import exactly

from gradviz.core import Network, ThetaIndex, params_to_vector, vector_to_params
from gradviz.core.model.spec import LayerSpec, NetworkSpec


@pytest.fixture
def params():
    spec = NetworkSpec(3, [LayerSpec(4, "tanh"), LayerSpec(2, "tanh"), LayerSpec(3, "linear")])
    net = Network(spec)
    rng = np.random.default_rng(1)
    return {k: rng.standard_normal(v.shape) for k, v in net.params.items()}


def test_round_trip(params):
    theta, index = params_to_vector(params)
    assert theta.shape == (sum(v.size for v in params.values()),)
    back = vector_to_params(theta, index)
    assert list(back) == list(params)
    for name, value in params.items():
        assert back[name].shape == value.shape
        np.testing.assert_array_equal(back[name], value)


def test_order_is_W1_b1_to_WL_bL(params):
    theta, index = params_to_vector(params)
    assert index.names == ["W1", "b1", "W2", "b2", "W3", "b3"]
    expected = np.concatenate([params[n].reshape(-1) for n in ["W1", "b1", "W2", "b2", "W3", "b3"]])
    np.testing.assert_array_equal(theta, expected)
    assert index.block("b1").start == 12
    assert index.block("b1").stop == 16
    assert index.block("W2").shape == (2, 4)


def test_index_maps_every_element_to_block_and_position(params):
    theta, index = params_to_vector(params)
    assert len(index) == theta.size
    seen = []
    for i, (name, position) in enumerate(index):
        assert theta[i] == params[name][position]
        seen.append((name, position))
    expected = [(n, tuple(int(p) for p in pos)) for n, v in params.items() for pos in np.ndindex(v.shape)]
    assert seen == expected
    assert index[-1] == ("b3", (2, 0))
    assert index[0] == ("W1", (0, 0))
    assert index[13] == ("b1", (1, 0))


def test_vector_to_params_copies(params):
    theta, index = params_to_vector(params)
    back = vector_to_params(theta, index)
    back["W1"][0, 0] += 1.0
    assert theta[0] == params["W1"][0, 0]


def test_errors(params):
    theta, index = params_to_vector(params)
    with pytest.raises(IndexError):
        index[len(index)]
    with pytest.raises(ValueError, match="theta must have shape"):
        vector_to_params(theta[:-1], index)
    with pytest.raises(ValueError, match="empty"):
        params_to_vector({})
    with pytest.raises(KeyError):
        index.block("W9")


def test_negative_indices_count_from_the_end_down_to_minus_n(params):
    _, index = params_to_vector(params)
    n = len(index)
    assert index[-n] == index[0] == ("W1", (0, 0))
    with pytest.raises(IndexError, match=rf"^θ has {n} elements; index {-n - 1} is out of range$"):
        index[-n - 1]


def test_an_empty_index_has_no_elements():
    assert len(ThetaIndex([])) == 0
    assert list(ThetaIndex([])) == []


def test_error_messages_name_the_block_and_the_field(params):
    _, index = params_to_vector(params)
    with pytest.raises(KeyError, match="W9"):
        index.block("W9")
    with pytest.raises(ValueError, match=exactly("params is empty")):
        params_to_vector({})
