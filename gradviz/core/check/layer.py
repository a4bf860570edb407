"""A layer written the CS231n way, as a model: ``forward(*args) -> (out, cache)`` beside
``backward(dout, cache) -> grads``, checked as the course does with ``eval_numerical_gradient_array``:
J = Σ out · dout for a fixed upstream gradient dout, so ∂J/∂x is exactly what backward returns.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Iterable, Sequence
from numbers import Integral

import numpy as np

from gradviz.core.check.gradcheck import gradient_check
from gradviz.core.check.objective import TORCH_HINT, function_name, gradient_array, is_torch_tensor
from gradviz.core.report.check_report import CheckReport


class LayerModel:
    """One layer's float array arguments as ``params``; ``loss()`` runs forward and backward.

    params: the checked arguments by the forward's parameter names (``x``, ``w``, ``b``; ``arg0``…
    where the signature has none), as copies: the caller's arrays are never touched.
    dout: the upstream gradient, shaped like forward's ``out``.

    Every call gets fresh copies of the arguments: arrays, and dicts and lists deep-copied.
    CS231n's batchnorm_forward updates ``bn_param``'s running mean and variance in place, and a
    forward may scale its input in place; without the copies each evaluation of J would see the
    previous one's leftovers and θ ± ε would not be one function. backward gets a copy of dout
    for the same reason (``dx = dout; dx[x <= 0] = 0`` is common).
    """

    def __init__(
        self,
        forward: Callable,
        backward: Callable,
        args: Sequence,
        *,
        dout=None,
        seed: int = 0,
        wrt: str | int | Iterable[str | int] | None = None,
    ) -> None:
        if not callable(forward) or not callable(backward):
            raise ValueError("forward and backward must be functions: forward(*args) -> (out, cache), "
                             "backward(dout, cache) -> gradients")
        self.forward, self.backward = forward, backward
        self._args = list(args)
        names = argument_names(forward, self._args)
        for i, arg in enumerate(self._args):
            if is_torch_tensor(arg):
                raise ValueError(f"argument {names[i]} is a torch.Tensor: {TORCH_HINT}")
        self._floats = [i for i, a in enumerate(self._args)
                        if isinstance(a, np.ndarray) and a.dtype.kind == "f"]
        self._checked = _checked_positions(wrt, names, self._args, self._floats)
        self.params = {names[i]: np.array(self._args[i], copy=True) for i in self._checked}
        self._source = f"{function_name(backward)}(dout, cache)"
        out = self._run_forward()[0]
        if dout is None:
            self.dout = np.random.default_rng(seed).standard_normal(out.shape)
        else:
            self.dout = np.array(dout, dtype=np.float64)
            if self.dout.shape != out.shape:
                raise ValueError(f"dout has shape {self.dout.shape}, expected {out.shape} (the shape "
                                 f"of the out that {function_name(forward)} returns)")

    def loss(self, X=None, y=None) -> tuple[float, dict[str, np.ndarray]]:
        """(Σ out · dout, the gradients backward returns by block name); X and y are ignored."""
        out, cache = self._run_forward()
        J = float(np.sum(out * self.dout))
        return J, self._gradients(self.backward(self.dout.copy(), cache))

    def _run_forward(self) -> tuple[np.ndarray, object]:
        slots = dict(zip(self._checked, self.params.values(), strict=True))
        args = [_fresh(slots.get(i, arg)) for i, arg in enumerate(self._args)]
        result = self.forward(*args)
        name = function_name(self.forward)
        if not (isinstance(result, tuple) and len(result) == 2):
            raise ValueError(f"{name}(...) must return (out, cache), the CS231n layer convention; "
                             f"got {type(result).__name__}")
        out = result[0]
        if is_torch_tensor(out):
            raise ValueError(f"{name} returned a torch.Tensor as out: {TORCH_HINT}")
        out = np.asarray(out)
        if out.dtype.kind not in "fiu":
            raise ValueError(f"{name} returned out of dtype {out.dtype}; J = Σ out · dout needs "
                             "real numbers")
        return out, result[1]

    def _gradients(self, result) -> dict[str, np.ndarray]:
        """Backward's result by block: one gradient per float argument or per checked one."""
        names = list(self.params)
        if isinstance(result, tuple | list):
            grads = list(result)
            if len(grads) == len(self._floats):
                grads = [grads[self._floats.index(i)] for i in self._checked]
            elif len(grads) != len(names):
                expected = " or ".join(dict.fromkeys(str(n) for n in (len(self._floats), len(names))))
                raise ValueError(f"{self._source} returned {len(grads)} gradients; expected "
                                 f"{expected}, one per checked argument ({', '.join(names)}) in order")
        elif len(names) == 1 or len(self._floats) == 1:
            grads = [result]
        else:
            raise ValueError(f"{self._source} returned one {type(result).__name__}; expected a tuple "
                             f"of gradients, one per argument ({', '.join(names)}) in order")
        return {
            name: gradient_array(name, g, self.params[name].shape, self._source)
            for name, g in zip(names, grads, strict=True)
        }


def argument_names(forward: Callable, args: Sequence) -> list[str]:
    """The forward's parameter names for ``args`` (``arg0``, ``arg1``… beyond them), or a
    ValueError when the arguments do not fit its signature."""
    try:
        signature = inspect.signature(forward)
    except (TypeError, ValueError):  # some built-ins have no signature
        signature = None
    positional = []
    if signature is not None:
        try:
            signature.bind(*args)
        except TypeError as exc:
            raise ValueError(f"{function_name(forward)}{signature} cannot take these {len(args)} "
                             f"argument(s): {exc}") from None
        kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        positional = [p.name for p in signature.parameters.values() if p.kind in kinds]
    names = positional[: len(args)]
    for i in range(len(names), len(args)):
        name = f"arg{i}"
        while name in names:
            name += "_"
        names.append(name)
    return names


def _checked_positions(wrt, names: list[str], args: list, floats: list[int]) -> list[int]:
    """Argument positions to check: every float array, or those ``wrt`` names (in arg order)."""
    if not floats:
        got = ", ".join(f"{n}: {type(a).__name__}" for n, a in zip(names, args, strict=True))
        raise ValueError(f"nothing to check: no argument is a float numpy array (got {got})")
    if wrt is None:
        return floats
    items = [wrt] if isinstance(wrt, str | Integral) else list(wrt)
    allowed = ", ".join(f"{names[i]} (position {i})" for i in floats)
    positions = []
    for item in items:
        if isinstance(item, str) and item in names:
            position = names.index(item)
        elif isinstance(item, Integral) and not isinstance(item, bool) and 0 <= item < len(args):
            position = int(item)
        else:
            raise ValueError(f"wrt must name arguments of the forward among {allowed}; got {item!r}")
        if position not in floats:
            arg = args[position]
            what = f"{arg.dtype} array" if isinstance(arg, np.ndarray) else type(arg).__name__
            raise ValueError(f"wrt names {names[position]}, a {what}: only float arrays can be "
                             f"checked ({allowed})")
        positions.append(position)
    if not positions:
        raise ValueError(f"wrt is empty; name arguments to check among {allowed}")
    return sorted(set(positions))


def _fresh(arg):
    """A copy for one call: arrays copied, dicts and lists deep-copied, anything else as is."""
    if isinstance(arg, np.ndarray):
        return arg.copy()
    if isinstance(arg, dict | list):
        return copy.deepcopy(arg)
    return arg


def layer_model(forward: Callable, backward: Callable, *args, dout=None, seed: int = 0,
                wrt: str | int | Iterable[str | int] | None = None) -> LayerModel:
    """A CS231n-style layer as a model for ``gradient_check`` and every other check.

    forward(*args) -> (out, cache); backward(dout, cache) -> one gradient per checked argument,
    in order (a tuple; a bare array when one is checked). Every float numpy argument is checked
    unless ``wrt`` (names or positions) narrows it; other arguments (``bn_param``, ``conv_param``
    dicts, ints, int label arrays) pass through untouched. When backward returns gradients for
    every float argument (``affine_backward`` → dx, dw, db) and ``wrt`` narrows, the matching
    ones are taken by position. J = Σ out · dout with dout a seeded standard normal shaped like
    out unless given::

        model = gradviz.layer_model(affine_forward, affine_backward, x, w, b)
        gradviz.gradient_check(model).failing_blocks()      # e.g. ['w']
    """
    return LayerModel(forward, backward, args, dout=dout, seed=seed, wrt=wrt)


def check_layer(forward: Callable, backward: Callable, *args, dout=None, seed: int = 0,
                wrt: str | int | Iterable[str | int] | None = None, **check_options) -> CheckReport:
    """``gradient_check(layer_model(forward, backward, *args, ...), **check_options)``; the seed
    draws dout and any sampled components. For example, with x (N, C, H, W) and w (F, C, HH, WW)::

        report = gradviz.check_layer(conv_forward_naive, conv_backward_naive, x, w, b, conv_param)
        print(report.blocks["w"].cs231n_rel_error)
    """
    model = layer_model(forward, backward, *args, dout=dout, seed=seed, wrt=wrt)
    return gradient_check(model, seed=seed, **check_options)
