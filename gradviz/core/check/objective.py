"""J(θ) as the gradient check sees it: the analytic gradient once, then J at perturbed θ.

Two kinds: ``NetworkObjective`` for the built-in Network (dropout modes, terms, kinks, complex
step) and ``ModelObjective`` for any object with ``.params`` and ``.loss(X, y) -> (J, grads)``.
Neither changes the model's parameters. The checks at the end turn whatever user code hands over
(parameters, gradients) into float arrays, or into a ValueError naming the block and the shapes.
"""

from __future__ import annotations

import numpy as np

from gradviz.core.model.network import Network, validate_data

DROPOUT_MODES = ("off", "frozen", "resample")


class NetworkObjective:
    """J of a built-in Network with the check's dropout mode and terms, plus kink tracking."""

    tracks_kinks = True  # value() reports every ReLU, hinge or |w| switch a step crosses

    def __init__(
        self, net: Network, X, y, *, dropout: str, terms: str, loss_scale: float, seed: int
    ) -> None:
        self.net = net
        self.X, self.y = validate_data(net.spec, X, y)
        self.dropout, self.terms, self.loss_scale = dropout, terms, loss_scale
        self.params = {k: v.copy() for k, v in net.params.items()}
        m = self.X.shape[1]
        self._resample_rng = np.random.default_rng(seed + 1)
        self.masks = None if dropout == "off" else net.draw_masks(m, np.random.default_rng(seed))
        base = net.evaluate(self.X, self.y, params=self.params, masks=self.masks, terms=terms)
        self.J0 = float(base.J.real) * loss_scale
        self.analytic = {k: np.asarray(g, dtype=np.float64) * loss_scale for k, g in base.grads.items()}
        self._switches = base.switches
        parts = {
            t: float(net.evaluate(self.X, self.y, params=self.params, masks=self.masks,
                                  terms=t, backprop=False).J.real)
            for t in ("data", "reg")
        }
        self.data_loss, self.reg_loss = parts["data"], parts["reg"]

    @property
    def dtype(self) -> np.dtype:
        return self.params["W1"].dtype

    @property
    def deterministic(self) -> bool:
        """Whether J is one function of θ (not with masks drawn anew per evaluation)."""
        return self.dropout != "resample"

    @property
    def has_dropout(self) -> bool:
        return bool(self.net.draw_masks(1, np.random.default_rng(0)))

    def masks_for_evaluation(self) -> dict[int, np.ndarray] | None:
        if self.dropout == "resample":
            return self.net.draw_masks(self.X.shape[1], self._resample_rng)
        return self.masks

    def analytic_at(self, params: dict[str, np.ndarray]) -> dict[str, np.ndarray] | None:
        """Backprop's gradient (times loss_scale) at other parameters of the same shapes; None
        when a kink switched on the way (the gradient jumps there)."""
        ev = self.net.evaluate(self.X, self.y, params=params, masks=self.masks, terms=self.terms)
        if any(not np.array_equal(a, b) for a, b in zip(ev.switches, self._switches, strict=True)):
            return None
        return {k: np.asarray(g, dtype=np.float64) * self.loss_scale for k, g in ev.grads.items()}

    def value(self, name: str, flat: int, delta: complex) -> tuple[complex, bool]:
        """J with θ[name].flat[flat] += delta, and whether any kink switched against θ."""
        block = self.params[name]
        if isinstance(delta, complex):
            block = block.astype(np.result_type(block.dtype, np.complex64))
        else:
            block = block.copy()
        block.flat[flat] += np.asarray(delta).astype(block.dtype)
        params = {**self.params, name: block}
        ev = self.net.evaluate(
            self.X, self.y, params=params, masks=self.masks_for_evaluation(),
            terms=self.terms, backprop=False,
        )
        crossed = any(not np.array_equal(a, b) for a, b in zip(ev.switches, self._switches, strict=True))
        if self.net.spec.l1 and self.terms != "data" and name.startswith("W"):
            theta = self.params[name].flat[flat]
            crossed = crossed or bool(np.sign(theta) != np.sign(block.flat[flat].real))
        return ev.J * self.loss_scale, crossed


class ModelObjective:
    """J of any model following the protocol, perturbed in place and restored every time."""

    tracks_kinks = False  # kinks are read from J alone (diagnosis.kinks)

    def __init__(self, model, X, y, *, loss_scale: float) -> None:
        if not isinstance(getattr(model, "params", None), dict) or not callable(
            getattr(model, "loss", None)
        ):
            raise ValueError("a model needs .params (a dict of arrays) and .loss(X, y) -> (J, grads)")
        self.model, self.X, self.y, self.loss_scale = model, X, y, loss_scale
        self.params = model.params
        for name, value in self.params.items():
            check_parameter(f"model.params[{name!r}]", value)
        result = model.loss(X, y)
        if not (isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], dict)
                and np.ndim(result[0]) == 0):
            raise ValueError("model.loss(X, y) must return (J, grads): a scalar loss and a dict of "
                             "gradients keyed like model.params")
        J, grads = result
        missing = [k for k in self.params if k not in grads]
        if missing:
            raise ValueError(f"model.loss returned no gradient for {', '.join(missing)}; expected "
                             + ", ".join(f"{k} {self.params[k].shape}" for k in missing))
        self.J0 = float(J) * loss_scale
        self.analytic = {
            k: gradient_array(k, grads[k], v.shape, "model.loss(X, y)").astype(np.float64) * loss_scale
            for k, v in self.params.items()
        }
        self.deterministic = float(model.loss(X, y)[0]) * loss_scale == self.J0
        self.data_loss = self.reg_loss = None

    @property
    def dtype(self) -> np.dtype:
        return next(iter(self.params.values())).dtype

    def analytic_at(self, params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Backprop's gradient (times loss_scale) at other parameters: set in place, restored."""
        saved = {k: v.copy() for k, v in self.params.items()}
        try:
            for k, v in params.items():
                np.copyto(self.params[k], v)
            grads = self.model.loss(self.X, self.y)[1]
        finally:
            for k, v in saved.items():
                np.copyto(self.params[k], v)
        return {k: np.array(grads[k], dtype=np.float64) * self.loss_scale for k in self.params}

    def value(self, name: str, flat: int, delta: float) -> tuple[float, bool]:
        if isinstance(delta, complex):
            raise ValueError("complex-step checking needs the built-in gradviz Network")
        block = self.params[name]
        original = block.flat[flat].copy()
        try:
            block.flat[flat] = original + delta
            J = self.model.loss(self.X, self.y)[0]
        finally:
            block.flat[flat] = original
        return float(J) * self.loss_scale, False


TORCH_HINT = "gradviz checks numpy arrays; for PyTorch code use gradviz.torch"


def function_name(function) -> str:
    """How a user's function is called in messages: its __name__, else its type's name."""
    return getattr(function, "__name__", None) or type(function).__name__


def is_torch_tensor(value: object) -> bool:
    """Whether value is a torch tensor (told by its type, without importing torch)."""
    return any(t.__module__.split(".")[0] == "torch" for t in type(value).__mro__)


def check_parameter(label: str, value: object) -> None:
    """Raise a ValueError naming ``label`` unless value is a real float numpy array."""
    if is_torch_tensor(value):
        raise ValueError(f"{label} is a torch.Tensor: {TORCH_HINT}")
    if not isinstance(value, np.ndarray):
        raise ValueError(f"{label} is a {type(value).__name__}, not a numpy array: store it as "
                         "np.asarray(value, dtype=np.float64)")
    if value.dtype.kind == "c":
        raise ValueError(f"{label} is {value.dtype}: gradviz checks real parameters (float arrays)")
    if value.dtype.kind != "f":
        raise ValueError(f"{label} holds {value.dtype} values, which a step of ε cannot move: make "
                         "it a float array (.astype(np.float64))")


def gradient_array(name: str, grad: object, shape: tuple[int, ...], source: str) -> np.ndarray:
    """Backprop's gradient of parameter ``name`` as a float array of ``shape``, or a ValueError
    naming the block, the shape expected and what ``source`` gave instead."""
    expected = f"expected a float array of shape {shape}, the shape of {name}"
    if grad is None:
        raise ValueError(f"{source} returned None as the gradient of {name} (not computed yet?); "
                         f"{expected}")
    if is_torch_tensor(grad):
        raise ValueError(f"{source} returned a torch.Tensor as the gradient of {name}: {TORCH_HINT}")
    try:
        array = np.asarray(grad)
    except (TypeError, ValueError):
        array = np.asarray(None)
    if array.dtype.kind != "f":
        raise ValueError(f"the gradient of {name} from {source} is {type(grad).__name__} of "
                         f"{array.dtype} values with shape {array.shape}; {expected}")
    if array.shape != tuple(shape):
        raise ValueError(f"the gradient of {name} has shape {array.shape}, expected {tuple(shape)} "
                         f"(the shape of {name}); it came from {source}")
    return array
