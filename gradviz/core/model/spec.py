"""Network specifications: plain dataclasses that validate and round-trip to JSON."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from numbers import Integral, Real
from typing import Any

ACTIVATIONS = ("relu", "leaky_relu", "tanh", "sigmoid", "linear")
LOSSES = ("softmax_ce", "svm", "bce", "mse")
INITS = ("he", "xavier", "glorot", "small", "zeros")
DTYPES = ("float64", "float32", "float16")

#: activations whose derivative jumps somewhere (a "kink")
KINKED_ACTIVATIONS = ("relu", "leaky_relu")


def _one_of(field_name: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{field_name} must be one of {', '.join(allowed)}; got {value!r}")


def _non_negative(field_name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValueError(f"{field_name} must be a number; got {value!r}")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{field_name} must be a finite number >= 0; got {value!r}")
    return float(value)


def _positive_int(field_name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ValueError(f"{field_name} must be a whole number >= 1; got {value!r}")
    return int(value)


@dataclass
class LayerSpec:
    """One fully connected layer: ``units`` neurons, an activation, a dropout keep_prob and
    optionally its own init (None: the network's init)."""

    units: int
    activation: str = "relu"
    keep_prob: float = 1.0
    init: str | None = None

    def __post_init__(self) -> None:
        self.units = _positive_int("units", self.units)
        _one_of("activation", self.activation, ACTIVATIONS)
        if isinstance(self.keep_prob, bool) or not isinstance(self.keep_prob, Real):
            raise ValueError(f"keep_prob must be a number in (0, 1]; got {self.keep_prob!r}")
        if not (0.0 < self.keep_prob <= 1.0):
            raise ValueError(f"keep_prob must be in (0, 1]; got {self.keep_prob!r}")
        self.keep_prob = float(self.keep_prob)
        if self.init is not None:
            _one_of("init", self.init, INITS)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if self.init is None:
            del data["init"]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LayerSpec:
        if not isinstance(data, dict):
            raise ValueError(f"a layer must be an object with 'units'; got {data!r}")
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
        self.input_dim = _positive_int("input_dim", self.input_dim)
        self.layers = [
            layer if isinstance(layer, LayerSpec) else LayerSpec.from_dict(layer)
            for layer in self.layers
        ]
        if not self.layers:
            raise ValueError("layers must hold at least one layer (the output layer)")
        _one_of("loss", self.loss, LOSSES)
        self.l2 = _non_negative("l2", self.l2)
        self.l1 = _non_negative("l1", self.l1)
        _one_of("init", self.init, INITS)
        _one_of("dtype", self.dtype, DTYPES)
        if isinstance(self.seed, bool) or not isinstance(self.seed, Integral) or self.seed < 0:
            raise ValueError(f"seed must be a whole number >= 0; got {self.seed!r}")
        self.seed = int(self.seed)
        self.init_gain = _non_negative("init_gain", self.init_gain)
        if self.init_gain == 0:
            raise ValueError("init_gain must be > 0 (use init 'zeros' for all-zero weights); got 0")
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
        return cls(**{**data, "layers": [LayerSpec.from_dict(layer) for layer in layers]})

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_json(cls, text: str) -> NetworkSpec:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not valid JSON: {exc}") from None
        return cls.from_dict(data)
