"""A cost and its gradient written as functions of a parameter dict (the Coursera notebooks' way),
as a model: ``cost(params) -> J`` and ``grad(params) -> {"dW1": …, "db1": …, "dZ1": …}``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from gradviz.core.check.objective import check_parameter, function_name, gradient_array


class FunctionModel:
    """``params`` (copies of the given float arrays) and ``loss()`` from one function
    ``evaluate(params) -> (J, gradient dict)``; X and y are ignored by ``loss``.

    Gradients may be keyed like the parameters (``W1``) or the course's way (``dW1``); keys that
    name no parameter (``dZ1``, ``dA1``) are ignored.
    """

    def __init__(self, evaluate: Callable, params: Mapping, source: str) -> None:
        if not isinstance(params, Mapping) or not params:
            raise ValueError(f"params must be a non-empty dict of float arrays; got {params!r:.80}")
        for name, value in params.items():
            check_parameter(f"params[{name!r}]", value)
        self.params = {name: value.copy() for name, value in params.items()}
        self._evaluate, self._source = evaluate, source

    def loss(self, X=None, y=None) -> tuple[float, dict[str, np.ndarray]]:
        J, grads = self._evaluate(self.params)
        return J, self._matched(grads)

    def _matched(self, grads) -> dict[str, np.ndarray]:
        if not isinstance(grads, Mapping):
            raise ValueError(f"{self._source} must return a dict of gradients keyed like the "
                             f"parameters (W1 or dW1); got {type(grads).__name__}")
        matched = {}
        for name, theta in self.params.items():
            keys = [k for k in (name, f"d{name}") if k in grads]
            if len(keys) == 2:
                raise ValueError(f"{self._source} returned both {name} and d{name}: keep one "
                                 f"gradient for parameter {name}")
            if not keys:
                raise ValueError(f"{self._source} returned no gradient for {name} (shape "
                                 f"{theta.shape}): looked for the keys {name!r} and 'd{name}' among "
                                 f"{', '.join(map(str, grads)) or 'none'}")
            matched[name] = gradient_array(name, grads[keys[0]], theta.shape, self._source)
        return matched


def function_model(cost: Callable, grad: Callable, params: Mapping) -> FunctionModel:
    """A model from ``cost(params) -> J`` and ``grad(params) -> dict`` over a dict of float arrays.

    grad's keys are the parameter names (``W1``) or the course's (``dW1``); other keys (``dZ1``,
    ``dA1``) are ignored; a parameter without a gradient is a ValueError naming it::

        model = gradviz.function_model(cost, grad, {"W1": W1, "b1": b1})
        gradviz.gradient_check(model).difference
    """
    def evaluate(p):
        return cost(p), grad(p)

    return FunctionModel(evaluate, params, f"{function_name(grad)}(params)")


def propagation_model(forward: Callable, backward: Callable, parameters: Mapping, X, Y) -> FunctionModel:
    """The Coursera pair as a model: ``forward(X, Y, parameters) -> (cost, cache)`` and
    ``backward(X, Y, cache) -> gradients`` (keyed ``dW1``, ``db1``, … plus ``dZ1``, ``dA1``…), one
    forward and one backward per evaluation. The gradient-checking assignment becomes::

        X, Y, parameters = gradient_check_n_test_case()
        model = gradviz.propagation_model(forward_propagation_n, backward_propagation_n,
                                          parameters, X, Y)
        report = gradviz.gradient_check(model)   # difference 0.285, failing blocks W2 and b1
    """
    source = f"{function_name(forward)}(X, Y, parameters)"

    def evaluate(p):
        result = forward(X, Y, p)
        if not (isinstance(result, tuple) and len(result) == 2):
            raise ValueError(f"{source} must return (cost, cache); got {type(result).__name__}")
        cost, cache = result
        return cost, backward(X, Y, cache)

    return FunctionModel(evaluate, parameters, f"{function_name(backward)}(X, Y, cache)")
