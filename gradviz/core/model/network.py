"""The built-in fully connected network: forward, backprop, regularization, dropout, bugs.

Parameters are a dict {"W1": (n1, n0), "b1": (n1, 1), ..., "WL", "bL"}; X has shape (n0, m).
``Network.loss(X, y) -> (J, grads)`` is the model protocol that ``gradient_check`` accepts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gradviz.core.model import layers as ops
from gradviz.core.model.bugs import Bug, validate_bug
from gradviz.core.model.fields import quote
from gradviz.core.model.losses import LOSS_FUNCTIONS, bce, bce_output_gradient
from gradviz.core.model.memory import network_estimate, require_memory
from gradviz.core.model.spec import NetworkSpec

TERMS = ("all", "data", "reg")


def init_params(spec: NetworkSpec, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Draw W[l] with its layer's (or the spec's) init variance, times ``spec.init_gain``, and zero
    biases, in the spec's dtype."""
    sizes = spec.sizes
    params: dict[str, np.ndarray] = {}
    for l in range(1, len(sizes)):
        n_in, n_out = sizes[l - 1], sizes[l]
        init = spec.layers[l - 1].init or spec.init
        scale = {
            "he": np.sqrt(2.0 / n_in),
            "xavier": np.sqrt(1.0 / n_in),
            "glorot": np.sqrt(2.0 / (n_in + n_out)),
            "small": 0.01,
            "zeros": 0.0,
        }[init] * spec.init_gain
        params[f"W{l}"] = (rng.standard_normal((n_out, n_in)) * scale).astype(spec.dtype)
        params[f"b{l}"] = np.zeros((n_out, 1), dtype=spec.dtype)
    return params


def real_array(name: str, value: object) -> np.ndarray:
    """value as a float64 array, or ValueError when it is not real numbers (complex refused)."""
    try:
        array = np.asarray(value)
        if array.dtype.kind == "c":
            raise ValueError(f"{name} must hold real numbers; complex values are not supported")
        return np.asarray(array, dtype=np.float64)
    except (TypeError, OverflowError):
        raise ValueError(f"{name} must be numeric") from None
    except ValueError as exc:
        if str(exc).startswith(name):
            raise
        raise ValueError(f"{name} must be numeric") from None


def validate_data(spec: NetworkSpec, X: object, y: object) -> tuple[np.ndarray, np.ndarray]:
    """Return (X (n0, m), y) as arrays in the network's layout, or raise ValueError naming the fault.

    y: int labels (m,) for softmax_ce / svm; 0/1 labels (1, m) for bce; targets (n[L], m) for mse.
    """
    if X is None or y is None:
        raise ValueError("the built-in Network needs examples: pass X and y")
    X = real_array("X", X)
    if X.ndim != 2 or X.shape[0] != spec.input_dim:
        raise ValueError(
            f"X must have shape (input_dim={spec.input_dim}, m) with one example per column; "
            f"got {X.shape}"
        )
    m = X.shape[1]
    if m < 1:
        raise ValueError("X holds no examples")
    if not np.all(np.isfinite(X)):
        raise ValueError("X contains NaN or Inf")
    y = real_array("y", y)
    if not np.all(np.isfinite(y)):
        raise ValueError("y contains NaN or Inf")
    n_out = spec.layers[-1].units
    if spec.loss in ("softmax_ce", "svm"):
        y = y.reshape(-1) if y.ndim == 2 and 1 in y.shape else y
        if y.shape != (m,):
            raise ValueError(f"y must hold {m} integer labels, shape ({m},); got {y.shape}")
        if np.any(y != np.round(y)) or y.min() < 0 or y.max() >= n_out:
            raise ValueError(f"labels must be integers in 0..{n_out - 1} for {n_out} classes")
        return X, y.astype(np.intp)
    if spec.loss == "bce":
        if y.size != m:
            raise ValueError(f"y must have shape (1, {m}) for bce; got {y.shape}")
        y = y.reshape(1, m)
        if not np.all((y == 0) | (y == 1)):
            raise ValueError("labels must be 0 or 1 for bce")
        return X, y
    if y.ndim == 1 and n_out == 1:
        y = y.reshape(1, -1)
    if y.shape != (n_out, m):
        raise ValueError(f"y must have shape ({n_out}, {m}) for mse; got {y.shape}")
    return X, y


@dataclass
class Evaluation:
    """One forward (and optional backward) pass: J, grads keyed like params, kink switches."""

    J: complex
    grads: dict[str, np.ndarray] | None
    switches: list[np.ndarray] = field(default_factory=list)


class Network:
    """A fully connected network built from a NetworkSpec (course notation, Ng's backprop)."""

    def __init__(self, spec: NetworkSpec, params: dict[str, np.ndarray] | None = None) -> None:
        if not isinstance(spec, NetworkSpec):
            raise ValueError(f"spec must be a NetworkSpec; got {quote(spec)}")
        require_memory(network_estimate(spec).total)
        self.spec = spec
        self.rng = np.random.default_rng(spec.seed)
        self.params = init_params(spec, self.rng)
        if params is not None:
            self.set_params(params)
        self.bugs: tuple[Bug, ...] = ()

    # -- parameters --------------------------------------------------------------------------
    @property
    def n_layers(self) -> int:
        return len(self.spec.layers)

    def set_params(self, params: dict[str, np.ndarray]) -> None:
        """Copy ``params`` in, cast to the spec's dtype; names and shapes must match."""
        if not isinstance(params, dict):
            raise ValueError(f"params must be a dict of arrays keyed W1, b1, ...; got {quote(params)}")
        for name, current in self.params.items():
            if name not in params:
                raise ValueError(f"params lack {name}")
            value = np.asarray(params[name])
            if value.dtype.kind not in "biuf":
                raise ValueError(f"{name} must hold real numbers; it has dtype {value.dtype}"
                                 + (" (complex parameters are not supported)" if value.dtype.kind == "c"
                                    else ""))
            if value.shape != current.shape:
                raise ValueError(f"{name} must have shape {current.shape}; got {value.shape}")
            if not np.all(np.isfinite(value)):
                raise ValueError(f"{name} contains NaN or Inf")
            self.params[name] = value.astype(self.spec.dtype)

    @property
    def bug(self) -> Bug | None:
        """The planted bug (the last one planted when there are several), or None."""
        return self.bugs[-1] if self.bugs else None

    @bug.setter
    def bug(self, bug: Bug | None) -> None:
        self.bugs = () if bug is None else (bug,)

    def inject_bug(self, kind: str, layer: int) -> None:
        """Plant one catalogue bug in backprop, in place of any planted before (the forward pass
        and J stay correct)."""
        self._validate_bug(kind, layer)
        self.bugs = (Bug(kind, int(layer)),)

    def add_bug(self, kind: str, layer: int) -> None:
        """Plant one more catalogue bug beside those already planted."""
        self._validate_bug(kind, layer)
        bug = Bug(kind, int(layer))
        if bug not in self.bugs:
            self.bugs = (*self.bugs, bug)

    def _validate_bug(self, kind: str, layer: int) -> None:
        W = self.params.get(f"W{layer}") if isinstance(layer, int) and not isinstance(layer, bool) else None
        square = W is not None and W.shape[0] == W.shape[1]
        validate_bug(kind, layer, self.n_layers, square=square)
        if kind == "dW_no_reg" and not (self.spec.l2 or self.spec.l1):
            raise ValueError("dW_no_reg needs regularization: set l2 or l1 above 0")
        if kind.startswith("dropout_"):
            if layer == self.n_layers:
                raise ValueError(f"{kind} needs a hidden layer: dropout never applies to the output "
                                 f"layer {layer}")
            if self.spec.layers[layer - 1].keep_prob == 1.0:
                raise ValueError(f"{kind} needs dropout at layer {layer}: set its keep_prob below 1")

    def clear_bug(self) -> None:
        """Remove every planted bug."""
        self.bugs = ()

    def draw_masks(self, m: int, rng: np.random.Generator) -> dict[int, np.ndarray]:
        """One inverted-dropout mask (n[l], m) per hidden layer whose keep_prob < 1."""
        return {
            l: ops.dropout_mask(rng, (layer.units, m), layer.keep_prob)
            for l, layer in enumerate(self.spec.layers[:-1], start=1)
            if layer.keep_prob < 1.0
        }

    # -- the model protocol --------------------------------------------------------------------
    def loss(self, X: np.ndarray, y: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
        """Training-mode J and grads: fresh dropout masks on every call."""
        X, y = validate_data(self.spec, X, y)
        ev = self.evaluate(X, y, masks=self.draw_masks(X.shape[1], self.rng))
        return float(ev.J.real), ev.grads

    # -- inference ------------------------------------------------------------------------------
    def scores(self, X: np.ndarray) -> np.ndarray:
        """a[L] (n[L], m) without dropout."""
        A = np.asarray(X, dtype=self.spec.dtype)
        for l, layer in enumerate(self.spec.layers, start=1):
            A = ops.activation_forward(
                ops.affine_forward(A, self.params[f"W{l}"], self.params[f"b{l}"]), layer.activation
            )
        return A

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predicted labels (m,): argmax of scores, or a > 0.5 for bce."""
        a = self.scores(X)
        if self.spec.loss == "bce":
            return (a[0] > 0.5).astype(np.intp)
        return np.argmax(a, axis=0)

    # -- the engine -----------------------------------------------------------------------------
    def evaluate(
        self,
        X: np.ndarray,
        y: np.ndarray,
        *,
        params: dict[str, np.ndarray] | None = None,
        masks: dict[int, np.ndarray] | None = None,
        terms: str = "all",
        backprop: bool = True,
    ) -> Evaluation:
        """J (and grads) at ``params`` (default: self.params) on validated data.

        masks: dropout masks from ``draw_masks``; None means no dropout (keep_prob treated as 1).
        terms: "all", "data" (no regularization) or "reg" (regularization alone).
        Runs on complex params too (complex step); J keeps the params' dtype kind.
        """
        params = self.params if params is None else params
        spec, L = self.spec, self.n_layers
        dtype = params["W1"].dtype
        A = X.astype(dtype, copy=False)
        inputs, Zs, As, switches = [], [], [], []
        for l, layer in enumerate(spec.layers, start=1):
            inputs.append(A)
            Z = ops.affine_forward(A, params[f"W{l}"], params[f"b{l}"])
            A = ops.activation_forward(Z, layer.activation)
            Zs.append(Z)
            As.append(A)
            sw = ops.activation_switches(Z, layer.activation)
            if sw is not None:
                switches.append(sw)
            if masks is not None and l in masks:
                A = ops.dropout_forward(A, masks[l], layer.keep_prob)

        m = X.shape[1]
        J = 0.0
        dA = dZ_out = None
        if terms in ("all", "data"):
            if spec.loss == "bce":
                J, dA, hinge = bce(As[-1], y, logits=Zs[-1])
                dZ_out = bce_output_gradient(Zs[-1], y) if backprop else None
            else:
                J, dA, hinge = LOSS_FUNCTIONS[spec.loss](As[-1], y)
            if hinge is not None:
                switches.append(hinge)
        Ws = [params[f"W{l}"] for l in range(1, L + 1)]
        if terms in ("all", "reg"):
            if spec.l2:
                J = J + spec.l2 / (2 * m) * sum((W * W).sum() for W in Ws)
            if spec.l1:
                J = J + spec.l1 / (2 * m) * sum(np.abs(W).sum() for W in Ws)
        if not backprop:
            return Evaluation(J, None, switches)
        grads = self._backprop(dA, dZ_out, inputs, Zs, As, Ws, masks, terms, m)
        return Evaluation(J, grads, switches)

    def _backprop(self, dA, dZ_out, inputs, Zs, As, Ws, masks, terms, m) -> dict[str, np.ndarray]:
        """dZ_out: the output layer's dZ when the loss gives it directly (bce through its sigmoid)."""
        spec, bugs = self.spec, self.bugs
        grads: dict[str, np.ndarray] = {}

        def planted(kind: str, l: int) -> bool:
            return Bug(kind, l) in bugs

        if dA is not None and any(bug.kind == "dscores_sign" for bug in bugs):
            dA = -dA
            dZ_out = None if dZ_out is None else -dZ_out
        for l in range(self.n_layers, 0, -1):
            layer = spec.layers[l - 1]
            W = Ws[l - 1]
            if dA is None:  # terms == "reg": no data gradient
                dW, db = np.zeros_like(W), np.zeros_like(self.params[f"b{l}"], dtype=W.dtype)
            else:
                if masks is not None and l in masks:
                    dA = ops.dropout_backward(
                        dA, masks[l], layer.keep_prob,
                        apply_mask=not planted("dropout_mask_missing", l),
                        apply_scale=not planted("dropout_scale_missing", l),
                    )
                if l == self.n_layers and dZ_out is not None and not planted("act_deriv", l):
                    dZ = dZ_out
                else:
                    dZ = ops.activation_backward(
                        dA, Zs[l - 1], As[l - 1], layer.activation, wrong=planted("act_deriv", l)
                    )
                dA, dW, db = ops.affine_backward(
                    dZ, inputs[l - 1], W,
                    db_scale=4.0 if planted("db_x4", l) else 1.0,
                    db_wrong_axis=planted("db_wrong_axis", l),
                )
            if terms in ("all", "reg") and not planted("dW_no_reg", l):
                if spec.l2:
                    dW = dW + spec.l2 / m * W
                if spec.l1:
                    dW = dW + spec.l1 / (2 * m) * np.sign(W)
            if planted("dW_x2", l):
                dW = 2 * dW
            if planted("dW_transposed", l):
                dW = dW.T.copy()
            grads[f"W{l}"], grads[f"b{l}"] = dW, db
        return {name: grads[name] for name in self.params}
