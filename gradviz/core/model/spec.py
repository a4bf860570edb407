"""Network specifications: plain dataclasses that validate and round-trip to JSON."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from gradviz.core.model import fields

ACTIVATIONS = ("relu", "leaky_relu", "tanh", "sigmoid", "linear")
LOSSES = ("softmax_ce", "svm", "bce", "mse")
INITS = ("he", "xavier", "glorot", "small", "zeros")
DTYPES = ("float64", "float32", "float16")

#: activations whose derivative jumps somewhere (a "kink")
KINKED_ACTIVATIONS = ("relu", "leaky_relu")
#: the most units a layer may have, features an example may have, and layers a network may have
MAX_UNITS = 10_000
MAX_INPUT_DIM = 1_000_000
MAX_LAYERS = 100
#: the largest seed (seeds are stored in JSON, where larger integers lose digits elsewhere)
MAX_SEED = 2**63 - 1
#: the largest init gain (a factor on every init's standard deviation)
MAX_INIT_GAIN = 1000.0


@dataclass
class LayerSpec:
    """One fully connected layer: ``units`` neurons, an activation, a dropout keep_prob and
    optionally its own init (None: the network's init)."""

    units: int
    activation: str = "relu"
    keep_prob: float = 1.0
    init: str | None = None

    def __post_init__(self) -> None:
        self.units = fields.whole("units", self.units, low=1, high=MAX_UNITS)
        fields.choice("activation", self.activation, ACTIVATIONS)
        self.keep_prob = fields.number("keep_prob", self.keep_prob, low=0.0, high=1.0, low_open=True)
        if self.init is not None:
            fields.choice("init", self.init, INITS)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if self.init is None:
            del data["init"]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LayerSpec:
        if not isinstance(data, dict):
            raise ValueError(f"a layer must be an object with 'units'; got {fields.quote(data)}")
        unknown = set(data) - {"units", "activation", "keep_prob", "init"}
        if unknown:
            raise ValueError(f"unknown layer field(s): {', '.join(sorted(unknown))}")
        if "units" not in data:
            raise ValueError("a layer needs 'units'")
        return cls(**data)


@dataclass
class NetworkSpec:
    """A fully connected network: input size, layers, loss, regularization, init, dtype, seed.

    W[l] has shape (n[l], n[l-1]) and b[l] has shape (n[l], 1); X has shape (input_dim, m).
    ``init_gain`` multiplies the standard deviation of every layer's init (1: the init as named).
    """

    input_dim: int
    layers: list[LayerSpec] = field(default_factory=list)
    loss: str = "softmax_ce"
    l2: float = 0.0
    l1: float = 0.0
    init: str = "he"
    dtype: str = "float64"
    seed: int = 0
    init_gain: float = 1.0

    def __post_init__(self) -> None:
        self.input_dim = fields.whole("input_dim", self.input_dim, low=1, high=MAX_INPUT_DIM)
        if not isinstance(self.layers, list | tuple):
            raise ValueError(f"layers must be a list of layers; got {fields.quote(self.layers)}")
        if not 1 <= len(self.layers) <= MAX_LAYERS:
            raise ValueError(f"layers must hold from 1 to {MAX_LAYERS} layers (the last is the output "
                             f"layer); got {len(self.layers)}")
        self.layers = [
            layer if isinstance(layer, LayerSpec) else LayerSpec.from_dict(layer)
            for layer in self.layers
        ]
        fields.choice("loss", self.loss, LOSSES)
        self.l2 = fields.number("l2", self.l2, low=0.0)
        self.l1 = fields.number("l1", self.l1, low=0.0)
        fields.choice("init", self.init, INITS)
        fields.choice("dtype", self.dtype, DTYPES)
        self.seed = fields.whole("seed", self.seed, low=0, high=MAX_SEED)
        self.init_gain = fields.number("init_gain", self.init_gain, low=0.0, low_open=True,
                                       high=MAX_INIT_GAIN)
        self._check_output_layer()

    def _check_output_layer(self) -> None:
        last = self.layers[-1]
        if self.loss in ("softmax_ce", "svm"):
            if last.activation != "linear":
                raise ValueError(
                    f"loss {self.loss!r} reads raw class scores: set the last layer's "
                    f"activation to 'linear' (it is {last.activation!r})"
                )
            if last.units < 2:
                raise ValueError(f"loss {self.loss!r} needs at least 2 output units (classes)")
        elif self.loss == "bce" and (last.activation != "sigmoid" or last.units != 1):
            raise ValueError(
                "loss 'bce' needs a last layer of 1 unit with activation 'sigmoid' "
                f"(it has {last.units} unit(s), {last.activation!r})"
            )

    # -- derived -------------------------------------------------------------------------
    @property
    def sizes(self) -> list[int]:
        """[n[0], n[1], ..., n[L]]."""
        return [self.input_dim, *(layer.units for layer in self.layers)]

    @property
    def n_params(self) -> int:
        s = self.sizes
        return sum(s[i] * s[i - 1] + s[i] for i in range(1, len(s)))

    @property
    def n_classes(self) -> int:
        """Number of classes for classification losses (2 for bce)."""
        return 2 if self.loss == "bce" else self.layers[-1].units

    # -- serialization -------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["layers"] = [layer.to_dict() for layer in self.layers]
        if self.init_gain == 1.0:  # the default: files stay as they were without the field
            del data["init_gain"]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NetworkSpec:
        if not isinstance(data, dict):
            raise ValueError("a network spec must be a JSON object")
        allowed = {"input_dim", "layers", "loss", "l2", "l1", "init", "dtype", "seed", "init_gain"}
        unknown = set(data) - allowed
        if unknown:
            raise ValueError(f"unknown network field(s): {', '.join(sorted(unknown))}")
        if "input_dim" not in data:
            raise ValueError("a network spec needs 'input_dim'")
        layers = data.get("layers", [])
        if not isinstance(layers, list):
            raise ValueError("layers must be a list")
        if len(layers) > MAX_LAYERS:
            raise ValueError(f"layers must hold from 1 to {MAX_LAYERS} layers; got {len(layers)}")
        return cls(**{**data, "layers": [LayerSpec.from_dict(layer) for layer in layers]})

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_json(cls, text: str) -> NetworkSpec:
        return cls.from_dict(fields.parse_json(text))
