"""How signals and gradients change with depth: the activations' size a[l] going forward and
‖dW[l]‖ per layer (vanishing and exploding gradients), and the check's difference per layer
(deeper nets accumulate larger relative errors).

In a deep net with weights scaled by g, a[l] grows or shrinks like g^l; dW[l] = dZ[l]·a[l−1]ᵀ/m
multiplies the forward signal by the backward one (which grows or shrinks like g^(L−l)), so
‖dW[l]‖ sits near g^(L−1) at every layer: tiny or huge for the whole net at once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np

from gradviz.core.model import layers as ops
from gradviz.core.model.network import Network
from gradviz.core.report.check_report import CheckReport

_W_BLOCK = re.compile(r"^W(\d+)$")


def weight_blocks(names) -> list[tuple[int, str]]:
    """[(l, "W<l>"), ...] for the W blocks among ``names``, by layer."""
    found = [(int(match.group(1)), name) for name in names if (match := _W_BLOCK.match(name))]
    return sorted(found)


def layer_norms(grads: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(layers l, ‖dW[l]‖_F) over the W blocks of ``grads`` (a dict like the params), by layer."""
    blocks = weight_blocks(grads)
    layers = np.array([l for l, _ in blocks], dtype=float)
    norms = np.array([float(np.linalg.norm(np.asarray(grads[name], dtype=np.float64)))
                      for _, name in blocks])
    return layers, norms


def gradient_norms(net: Network, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(layers, ‖dW[l]‖_F) of backprop on (X, y) at the network's θ, without dropout.

    X (n0, m) and y in the network's layout (see validate_data)."""
    with np.errstate(all="ignore"):
        grads = net.evaluate(X, y, masks=None).grads
    return layer_norms(grads)


def activation_rms(net: Network, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(layers, root mean square of a[l] over units and examples), forward without dropout, for
    the hidden layers and the output; X (n0, m)."""
    A = np.asarray(X, dtype=np.float64)
    rms = []
    with np.errstate(all="ignore"):
        for l, layer in enumerate(net.spec.layers, start=1):
            Z = ops.affine_forward(A, net.params[f"W{l}"].astype(np.float64), net.params[f"b{l}"])
            A = ops.activation_forward(Z, layer.activation)
            rms.append(float(np.sqrt(np.mean(A * A))))
    return np.arange(1.0, len(rms) + 1), np.array(rms)


def report_layers(report: CheckReport) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(layers, ‖dW[l]‖ of backprop, the check's difference in W[l]) from a check report."""
    blocks = [(l, name) for l, name in weight_blocks(report.blocks)]
    layers = np.array([l for l, _ in blocks], dtype=float)
    norms = np.array([float(np.linalg.norm(report.blocks[name].analytic)) for _, name in blocks])
    differences = np.array([report.blocks[name].difference for _, name in blocks])
    return layers, norms, differences
