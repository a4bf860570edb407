"""NetworkSpec / LayerSpec: exact round trips, and a ValueError naming the field for bad input."""

import json

import numpy as np
import pytest
from helpers import exactly

from gradviz.core import LayerSpec, NetworkSpec


def full_spec() -> NetworkSpec:
    return NetworkSpec(
        5,
        [LayerSpec(7, "relu", 0.8), LayerSpec(4, "tanh", 1.0, init="small"), LayerSpec(3, "linear")],
        loss="svm", l2=0.25, l1=0.125, init="glorot", dtype="float32", seed=42,
    )


def test_dict_round_trip_is_exact():
    spec = full_spec()
    data = spec.to_dict()
    assert NetworkSpec.from_dict(data) == spec
    assert NetworkSpec.from_dict(data).to_dict() == data
    assert data["layers"][0] == {"units": 7, "activation": "relu", "keep_prob": 0.8}
    assert data["layers"][1]["init"] == "small"
    assert data["l2"] == 0.25
    assert data["dtype"] == "float32"


def test_json_round_trip_is_exact():
    spec = full_spec()
    text = spec.to_json()
    assert NetworkSpec.from_json(text) == spec
    assert NetworkSpec.from_json(text).to_json() == text
    assert json.loads(spec.to_json(indent=None)) == spec.to_dict()


def test_layer_round_trip():
    layer = LayerSpec(3, "sigmoid", 0.5)
    assert LayerSpec.from_dict(layer.to_dict()) == layer
    assert LayerSpec.from_dict({"units": 2}) == LayerSpec(2, "relu", 1.0)


def test_layers_given_as_dicts_become_layer_specs():
    spec = NetworkSpec(2, [{"units": 3, "activation": "tanh"}, {"units": 2, "activation": "linear"}])
    assert spec.layers == [LayerSpec(3, "tanh"), LayerSpec(2, "linear")]


def test_derived_sizes():
    spec = full_spec()
    assert spec.sizes == [5, 7, 4, 3]
    assert spec.n_params == 7 * 5 + 7 + 4 * 7 + 4 + 3 * 4 + 3
    assert spec.n_classes == 3
    bce = NetworkSpec(2, [LayerSpec(1, "sigmoid")], loss="bce")
    assert bce.n_classes == 2


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"units": 0}, "units"),
        ({"units": -3}, "units"),
        ({"units": 2.5}, "units"),
        ({"units": True}, "units"),
        ({"units": 2, "activation": "swish"}, "activation"),
        ({"units": 2, "keep_prob": 0.0}, "keep_prob"),
        ({"units": 2, "keep_prob": -0.1}, "keep_prob"),
        ({"units": 2, "keep_prob": 1.01}, "keep_prob"),
        ({"units": 2, "keep_prob": float("nan")}, "keep_prob"),
        ({"units": 2, "keep_prob": "0.5"}, "keep_prob"),
        ({"units": 2, "init": "orthogonal"}, "init"),
    ],
)
def test_bad_layer_raises_naming_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        LayerSpec(**kwargs)


def net(**overrides):
    base = {"input_dim": 3, "layers": [LayerSpec(4, "tanh"), LayerSpec(2, "linear")],
            "loss": "softmax_ce"}
    return NetworkSpec(**{**base, **overrides})


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"input_dim": 0}, "input_dim"),
        ({"layers": []}, "layers"),
        ({"loss": "hinge"}, "loss"),
        ({"init": "uniform"}, "init"),
        ({"dtype": "float128"}, "dtype"),
        ({"dtype": "int32"}, "dtype"),
        ({"l2": -0.1}, "l2"),
        ({"l1": -1}, "l1"),
        ({"l2": float("nan")}, "l2"),
        ({"l1": float("inf")}, "l1"),
        ({"l2": "0.1"}, "l2"),
        ({"seed": -1}, "seed"),
        ({"layers": [{"units": 0}]}, "units"),
    ],
)
def test_bad_network_raises_naming_the_field(overrides, field):
    with pytest.raises(ValueError, match=field):
        net(**overrides)


@pytest.mark.parametrize("loss", ["softmax_ce", "svm"])
@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "leaky_relu"])
def test_class_score_losses_need_a_linear_last_layer(loss, activation):
    with pytest.raises(ValueError, match="linear"):
        NetworkSpec(3, [LayerSpec(4, "tanh"), LayerSpec(3, activation)], loss=loss)


@pytest.mark.parametrize("loss", ["softmax_ce", "svm"])
def test_class_score_losses_need_two_classes(loss):
    with pytest.raises(ValueError, match="2 output units"):
        NetworkSpec(3, [LayerSpec(1, "linear")], loss=loss)


@pytest.mark.parametrize("last", [LayerSpec(2, "sigmoid"), LayerSpec(1, "tanh"), LayerSpec(1, "linear")])
def test_bce_needs_one_sigmoid_unit(last):
    with pytest.raises(ValueError, match="sigmoid"):
        NetworkSpec(3, [LayerSpec(4, "tanh"), last], loss="bce")


def test_mse_accepts_any_output():
    for activation in ("relu", "tanh", "sigmoid", "linear", "leaky_relu"):
        assert NetworkSpec(2, [LayerSpec(3, activation)], loss="mse").loss == "mse"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"layers": [{"units": 2, "activation": "linear"}]}, "input_dim"),
        ({"input_dim": 2, "layers": [{"units": 2, "activation": "linear"}], "lr": 0.1}, "lr"),
        ({"input_dim": 2, "layers": [{"activation": "linear"}]}, "units"),
        ({"input_dim": 2, "layers": [{"units": 2, "activation": "linear", "bias": 1}]}, "bias"),
        ({"input_dim": 2, "layers": "2,2"}, "layers"),
        ([1, 2], "object"),
    ],
)
def test_from_dict_rejects_malformed_data(data, message):
    with pytest.raises(ValueError, match=message):
        NetworkSpec.from_dict(data)


def test_from_json_rejects_invalid_json():
    with pytest.raises(ValueError, match="JSON"):
        NetworkSpec.from_json("{input_dim: 2")


def test_numpy_numbers_are_accepted_and_stored_as_python_numbers():
    spec = NetworkSpec(np.int64(2), [LayerSpec(np.int32(3), "tanh", np.float32(0.5)),
                                     LayerSpec(2, "linear")], l2=np.float64(0.1), seed=np.int64(4))
    assert spec.to_dict() == NetworkSpec(2, [LayerSpec(3, "tanh", 0.5), LayerSpec(2, "linear")],
                                         l2=0.1, seed=4).to_dict()
    assert type(spec.input_dim) is int
    assert type(spec.layers[0].units) is int
    assert NetworkSpec.from_json(spec.to_json()) == spec


LINEAR = [LayerSpec(2, "linear")]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: LayerSpec(2, "swish"), "activation must be one of relu, leaky_relu, tanh, sigmoid, linear; "
                                        "got 'swish'"),
        (lambda: LayerSpec(2, keep_prob=0.0), "keep_prob must be a number in (0, 1]; got 0.0"),
        (lambda: LayerSpec(2, init="orthogonal"), "init must be one of he, xavier, glorot, small, zeros; "
                                                  "got 'orthogonal'"),
        (lambda: NetworkSpec(1_000_001, LINEAR), "input_dim must be a whole number from 1 to 1,000,000; "
                                                 "got 1000001"),
        (lambda: NetworkSpec(2, 5), "layers must be a list of layers; got 5"),
        (lambda: NetworkSpec(2, LINEAR, loss="hinge"), "loss must be one of softmax_ce, svm, bce, mse; "
                                                       "got 'hinge'"),
        (lambda: NetworkSpec(2, LINEAR, l1=-1), "l1 must be a number in [0, inf]; got -1"),
        (lambda: NetworkSpec(2, LINEAR, init="u"), "init must be one of he, xavier, glorot, small, zeros; "
                                                   "got 'u'"),
        (lambda: NetworkSpec(2, LINEAR, dtype="int8"), "dtype must be one of float64, float32, float16; "
                                                       "got 'int8'"),
        (lambda: NetworkSpec(2, LINEAR, seed=2**63), "seed must be a whole number from 0 to "
                                                     "9,223,372,036,854,775,807; got 9223372036854775808"),
        (lambda: NetworkSpec(2, [LayerSpec(2, "tanh")], loss="bce"),
         "loss 'bce' needs a last layer of 1 unit with activation 'sigmoid' (it has 2 unit(s), 'tanh')"),
        (lambda: NetworkSpec(2, [LayerSpec(2, "linear")] * 101),
         "layers must hold from 1 to 100 layers (the last is the output layer); got 101"),
        (lambda: NetworkSpec.from_dict({"input_dim": 2}),
         "layers must hold from 1 to 100 layers (the last is the output layer); got 0"),
        (lambda: NetworkSpec.from_dict({"input_dim": 2, "layers": [{"units": 2}] * 101}),
         "layers must hold from 1 to 100 layers; got 101"),
        (lambda: NetworkSpec.from_dict([1]), "a network spec must be a JSON object"),
        (lambda: NetworkSpec.from_dict({"input_dim": 2, "b": 1, "a": 2}), "unknown network field(s): a, b"),
        (lambda: NetworkSpec.from_dict({"layers": []}), "a network spec needs 'input_dim'"),
        (lambda: NetworkSpec.from_dict({"input_dim": 2, "layers": "2"}), "layers must be a list"),
        (lambda: LayerSpec.from_dict(5), "a layer must be an object with 'units'; got 5"),
        (lambda: LayerSpec.from_dict({"units": 2, "y": 1, "x": 1}), "unknown layer field(s): x, y"),
        (lambda: LayerSpec.from_dict({"activation": "tanh"}), "a layer needs 'units'"),
    ],
)
def test_messages_name_the_field_and_the_allowed_values(make, message):
    with pytest.raises(ValueError, match=exactly(message)):
        make()


def test_the_largest_network_and_seed_are_accepted():
    spec = NetworkSpec(1_000_000, [LayerSpec(2, "linear")] * 100, seed=2**63 - 1)
    assert len(spec.layers) == 100
    data = spec.to_dict()
    assert len(NetworkSpec.from_dict(data).layers) == 100
    assert spec.to_json() == json.dumps(data, indent=2)
    assert NetworkSpec(2, LINEAR).to_json(indent=None) == json.dumps(NetworkSpec(2, LINEAR).to_dict())


@pytest.mark.parametrize("gain", [0, 0.0, -1, 1000.5, 2000.0])
def test_the_init_gain_is_refused_outside_its_range_by_name(gain):
    with pytest.raises(ValueError, match=exactly(f"init_gain must be a number in (0, 1000]; got {gain!r}")):
        NetworkSpec(2, [LayerSpec(3, "linear")], init_gain=gain)


@pytest.mark.parametrize("gain", [1e-9, 0.5, 1000])
def test_the_init_gain_is_accepted_inside_its_range(gain):
    assert NetworkSpec(2, [LayerSpec(3, "linear")], init_gain=gain).init_gain == gain


def test_the_init_gain_is_written_only_when_it_is_not_the_default():
    plain = NetworkSpec(2, [LayerSpec(3, "linear")])
    assert "init_gain" not in plain.to_dict()  # files written before the field read the same
    scaled = NetworkSpec(2, [LayerSpec(3, "linear")], init_gain=2.0)
    assert scaled.to_dict()["init_gain"] == 2.0
    assert NetworkSpec.from_dict(json.loads(json.dumps(scaled.to_dict()))).init_gain == 2.0
