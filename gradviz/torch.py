"""PyTorch code as gradviz models (``pip install "gradviz[torch]"``): a function or a custom
``torch.autograd.Function``, and an ``nn.Module``, checked by ``gradviz.gradient_check``, drawn by the
heatmap, explained by the diagnosis and opened in the app like any other model.

    import gradviz, gradviz.torch
    model = gradviz.torch.function_model(MyLinear.apply, x, w, b)   # x, w, b with requires_grad
    gradviz.gradient_check(model, None, None).summary()

Every tensor with ``requires_grad`` (an input, or a module's parameter) is a block, named by the
function's argument or the module's parameter name, held in float64. J = Σ output · dout, with a
seeded random dout shaped like each floating output (the CS231n layer convention), so J's gradient
is what backward computes for that upstream gradient; a 0-d output (a loss) is J itself. Torch's
random generator is re-seeded for every evaluation, so dropout draws the same mask at θ ± ε.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Sequence

import numpy as np

try:
    import torch
except ImportError as exc:  # the extra is optional; say how to get it
    raise ImportError('gradviz.torch needs PyTorch: pip install "gradviz[torch]"') from exc

__all__ = ["TorchModel", "function_model", "module_model"]


class TorchModel:
    """A model-protocol view of torch code: ``params`` maps block names to float64 numpy arrays,
    ``loss(X=None, y=None) -> (J, grads)`` runs forward and autograd on them (X and y are unused:
    the inputs were given when the model was made)."""

    def __init__(self, name: str, call: Callable[[dict], object], blocks: dict[str, np.ndarray], *,
                 loss: Callable | None, dout, seed: int) -> None:
        self.__name__ = name
        self._call, self._loss, self._seed = call, loss, seed
        self.params = blocks
        outputs = self._outputs(self._run(requires_grad=False))
        self.dout = _upstream(outputs, dout, seed) if loss is None else None

    def _run(self, *, requires_grad: bool):
        tensors = {k: torch.from_numpy(v).requires_grad_(requires_grad) for k, v in self.params.items()}
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self._seed)
            with torch.set_grad_enabled(requires_grad):
                return tensors, self._call(tensors)

    def _outputs(self, run) -> list[torch.Tensor]:
        _, result = run
        if self._loss is not None:
            J = self._loss(result)
            if not (isinstance(J, torch.Tensor) and J.dim() == 0):
                raise ValueError(f"loss must return a 0-d tensor (a scalar); got {_describe(J)}")
            return [J]
        outputs = list(result) if isinstance(result, tuple | list) else [result]
        floating = [o for o in outputs if isinstance(o, torch.Tensor) and o.is_floating_point()]
        if not floating:
            raise ValueError(f"{self.__name__} returned {_describe(result)}; expected a floating-point "
                             "tensor (or a tuple of them) to form J = Σ output · dout")
        return floating

    def loss(self, X=None, y=None) -> tuple[float, dict[str, np.ndarray]]:
        """(J, dJ/dθ by block) at the current ``params``."""
        tensors, result = self._run(requires_grad=True)
        outputs = self._outputs((tensors, result))
        if self._loss is not None:
            J = outputs[0]
        else:
            J = sum((o * torch.from_numpy(d)).sum() for o, d in zip(outputs, self.dout, strict=True))
        leaves = list(tensors.values())
        grads = torch.autograd.grad(J, leaves, allow_unused=True) if J.requires_grad else [None] * len(leaves)
        return float(J.detach()), {
            name: np.zeros_like(self.params[name]) if g is None else g.detach().numpy().copy()
            for name, g in zip(tensors, grads, strict=True)
        }


def _describe(value) -> str:
    if isinstance(value, torch.Tensor):
        return f"a {value.dtype} tensor of shape {tuple(value.shape)}"
    return type(value).__name__


def _upstream(outputs: list[torch.Tensor], dout, seed: int) -> list[np.ndarray]:
    """One float64 dout per output: given, or seeded standard normal (1 for a 0-d output)."""
    if dout is None:
        rng = np.random.default_rng(seed)
        return [np.ones(()) if o.dim() == 0 else rng.standard_normal(tuple(o.shape)) for o in outputs]
    given = list(dout) if isinstance(dout, tuple | list) else [dout]
    if len(given) != len(outputs):
        raise ValueError(f"dout has {len(given)} arrays for {len(outputs)} floating outputs")
    arrays = [d.detach().double().numpy() if isinstance(d, torch.Tensor) else np.asarray(d, dtype=np.float64)
              for d in given]
    for i, (d, o) in enumerate(zip(arrays, outputs, strict=True)):
        if d.shape != tuple(o.shape):
            which = "" if len(arrays) == 1 else f"[{i}]"
            raise ValueError(f"dout{which} has shape {d.shape}, expected {tuple(o.shape)}, the shape "
                             f"of output {i}")
    return arrays


def argument_names(fn: Callable, count: int) -> list[str]:
    """Names of fn's first ``count`` positional arguments (``arg0``, ``arg1``… where it has none);
    for ``SomeFunction.apply``, those of its ``forward`` after ``ctx``."""
    owner = getattr(fn, "__self__", None)
    target, skip = fn, 0
    if _is_function_class(owner):
        target, skip = owner.forward, 1
    elif isinstance(fn, torch.nn.Module):
        target = fn.forward
    try:
        parameters = list(inspect.signature(target).parameters.values())[skip:]
    except (TypeError, ValueError):  # a built-in without a signature
        parameters = []
    named = [p.name for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return [named[i] if i < len(named) else f"arg{i}" for i in range(count)]


def _is_function_class(owner) -> bool:
    return isinstance(owner, type) and issubclass(owner, torch.autograd.Function)


def _checked_inputs(names: list[str], inputs: Sequence) -> tuple[dict[str, np.ndarray], list]:
    """The inputs with requires_grad as float64 blocks, and every input as it will be passed:
    other floating tensors in float64, anything else unchanged (a block's slot holds its name)."""
    blocks, template = {}, []
    for name, value in zip(names, inputs, strict=True):
        if isinstance(value, torch.Tensor) and value.requires_grad:
            if not value.is_floating_point():
                raise ValueError(f"input {name} requires grad but is {value.dtype}; use a float tensor")
            blocks[name] = value.detach().to(device="cpu", dtype=torch.float64).numpy().copy()
            template.append(_Block(name))
        elif isinstance(value, torch.Tensor) and value.is_floating_point():
            template.append(value.detach().to(dtype=torch.float64))
        else:
            template.append(value)
    return blocks, template


class _Block:
    """Where a checked input goes in the argument list."""

    def __init__(self, name: str) -> None:
        self.name = name


def _fill(template: list, tensors: dict) -> list:
    return [tensors[a.name] if isinstance(a, _Block) else a for a in template]


def function_model(fn: Callable, *inputs, dout=None, seed: int = 0) -> TorchModel:
    """A torch function (or ``SomeFunction.apply`` of a custom ``torch.autograd.Function``) on
    ``inputs`` as a model: the inputs with ``requires_grad`` are the blocks, named by fn's
    arguments. dout: the upstream gradient (an array, or one per output), else seeded random."""
    names = argument_names(fn, len(inputs))
    blocks, template = _checked_inputs(names, inputs)
    if not blocks:
        raise ValueError("no input requires grad: give the tensors to check requires_grad=True")
    owner = getattr(fn, "__self__", None)
    name = owner.__name__ if _is_function_class(owner) else getattr(fn, "__name__", type(fn).__name__)
    return TorchModel(name, lambda tensors: fn(*_fill(template, tensors)), blocks,
                      loss=None, dout=dout, seed=seed)


def module_model(module: torch.nn.Module, *inputs, loss: Callable | None = None, dout=None,
                 seed: int = 0) -> TorchModel:
    """An ``nn.Module`` called on ``inputs`` as a model: its parameters with ``requires_grad``
    (named as ``named_parameters`` names them: ``weight``, ``0.bias``) and the inputs with
    ``requires_grad`` are the blocks. The module is copied in float64; yours is left as it is.
    loss: a function of the module's output returning a 0-d tensor (e.g.
    ``lambda out: F.cross_entropy(out, target)``); without it J = Σ output · dout."""
    if not isinstance(module, torch.nn.Module):
        raise ValueError(f"module must be a torch.nn.Module; got {type(module).__name__}")
    double = copy.deepcopy(module).to(device="cpu", dtype=torch.float64)
    blocks = {k: p.detach().numpy().copy() for k, p in double.named_parameters() if p.requires_grad}
    inputs_blocks, template = _checked_inputs(argument_names(module, len(inputs)), inputs)
    clash = sorted(set(blocks) & set(inputs_blocks))
    if clash:
        raise ValueError(f"input {clash[0]} has the name of a parameter of the module; pass it "
                         "without requires_grad, or rename the forward's argument")
    blocks.update(inputs_blocks)

    def call(tensors: dict):
        params = {k: v for k, v in tensors.items() if k not in inputs_blocks}
        return torch.func.functional_call(double, params, tuple(_fill(template, tensors)))

    return TorchModel(type(module).__name__, call, blocks, loss=loss, dout=dout, seed=seed)
