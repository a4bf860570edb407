"""The catalogue of backprop bugs that can be planted in a Network, for teaching and testing."""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral

BUG_KINDS: dict[str, str] = {
    "dW_x2": "dW of the layer is doubled",
    "db_x4": "db of the layer uses 4/m instead of 1/m",
    "dW_no_reg": "the regularization gradient is missing from dW of the layer",
    "act_deriv": "the layer's activation derivative is wrong "
    "(tanh uses 1-a, sigmoid uses a, relu's mask is inverted)",
    "dropout_mask_missing": "the dropout mask is not reapplied in backprop at the layer",
    "dropout_scale_missing": "1/keep_prob is missing in backprop through the layer's dropout",
    "db_wrong_axis": "db of the layer is summed over units instead of examples",
    "dscores_sign": "the loss gradient's sign is flipped (the layer number is ignored)",
    "dW_transposed": "dW of a square layer is transposed",
}


@dataclass(frozen=True)
class Bug:
    """A planted bug: one of BUG_KINDS at layer ``layer`` (1-based, as in W1)."""

    kind: str
    layer: int

    def __str__(self) -> str:
        return f"{self.kind}:{self.layer}"

    @classmethod
    def parse(cls, text: str) -> Bug:
        """Parse "KIND:LAYER" (as on the command line)."""
        if not isinstance(text, str):
            raise ValueError(f"a bug is written KIND:LAYER, e.g. dW_x2:2; got {text!r:.40}")
        kind, sep, layer = text.partition(":")
        if not sep or not layer.strip().isdigit():
            raise ValueError(f"a bug is written KIND:LAYER, e.g. dW_x2:2; got {text!r}")
        return cls(kind.strip(), int(layer))


def validate_bug(kind: str, layer: int, n_layers: int, *, square: bool) -> None:
    """Raise ValueError unless ``kind`` is in BUG_KINDS and ``layer`` is in 1..n_layers."""
    if kind not in BUG_KINDS:
        raise ValueError(f"bug kind must be one of {', '.join(BUG_KINDS)}; got {kind!r}")
    if isinstance(layer, bool) or not isinstance(layer, Integral) or not 1 <= layer <= n_layers:
        raise ValueError(f"bug layer must be between 1 and {n_layers}; got {layer!r}")
    if kind == "dW_transposed" and not square:
        raise ValueError(f"dW_transposed needs a square W{layer} (as many units as inputs)")
