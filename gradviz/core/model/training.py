"""Training as a generator of step records: SGD, momentum or Adam, minibatches, early stopping.

``Trainer.steps(n)`` yields one ``StepRecord`` per iteration, so a worker can run it, a plot can
follow it and a Pause button can simply stop asking for more. Training uses ``net.loss(X, y)``
(training-mode dropout); the per-epoch losses are computed without dropout.

Any model of the protocol (``.params``, ``.loss(X, y) -> (J, grads)``: a user's model file) trains
the same way on the full batch: gradviz cannot tell which axis of its X holds the examples
(CS231n's X is (N, D), the Coursera course's (n_x, m)), so it takes no minibatches, dev data or
per-epoch evaluation.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from numbers import Integral

import numpy as np

from gradviz.core.model import fields
from gradviz.core.model.network import Network, validate_data

OPTIMIZERS = ("sgd", "momentum", "adam")
MOMENTUM_BETA = 0.9
ADAM_BETA1, ADAM_BETA2, ADAM_EPS = 0.9, 0.999, 1e-8
#: records kept in the history (older ones are dropped)
MAX_STEPS = 10_000
MAX_EPOCHS = 10_000
#: training has diverged when the loss exceeds this many times max(its first value, 1) ...
DIVERGENCE_LOSS_FACTOR = 1e3
#: ... or a parameter exceeds this many times max(the largest initial |θ| of its block, 1)
DIVERGENCE_PARAM_FACTOR = 1e6


@dataclass
class EpochRecord:
    """Losses (J with regularization, no dropout) and accuracies after an epoch; dev_* None without
    dev data, accuracies None for mse."""

    epoch: int
    train_loss: float
    train_acc: float | None
    dev_loss: float | None
    dev_acc: float | None


@dataclass
class StepRecord:
    """One iteration: the minibatch J before the update and ‖update‖ / ‖param‖ per block.

    epoch and iteration count from 1; ``epoch_end`` is set on an epoch's last iteration.
    """

    epoch: int
    iteration: int
    loss: float
    update_ratio: dict[str, float]
    epoch_end: EpochRecord | None = None


@dataclass
class History:
    """The latest MAX_STEPS step records and MAX_EPOCHS epoch records, oldest first: memory stays
    bounded however long training runs (``first_epoch`` and ``best`` keep the summary)."""

    steps: list[StepRecord] = field(default_factory=list)
    epochs: list[EpochRecord] = field(default_factory=list)
    first_epoch: EpochRecord | None = None
    dropped_steps: int = 0
    dropped_epochs: int = 0

    def add_step(self, record: StepRecord) -> None:
        self.steps.append(record)
        self.dropped_steps += _trim(self.steps, MAX_STEPS)

    def add_epoch(self, record: EpochRecord) -> None:
        if self.first_epoch is None:
            self.first_epoch = record
        self.epochs.append(record)
        self.dropped_epochs += _trim(self.epochs, MAX_EPOCHS)


def _check_protocol_model(model: object, batch_size, X_dev, y_dev, patience) -> None:
    """ValueError unless ``model`` follows the protocol with float array parameters and the
    options a model of unknown layout can take (full batch, no dev data)."""
    params = getattr(model, "params", None)
    if not isinstance(params, dict) or not callable(getattr(model, "loss", None)):
        raise ValueError("a model needs .params (a dict of arrays) and .loss(X, y) -> (J, grads)")
    for name, value in params.items():
        if not (isinstance(value, np.ndarray) and value.dtype.kind == "f"):
            raise ValueError(f"params[{name!r}] must be a float array to be trained in place")
    if batch_size is not None:
        raise ValueError("batch_size: a model's own X trains on the full batch (batch_size None): "
                         "gradviz cannot tell which axis holds its examples")
    if X_dev is not None or y_dev is not None or patience is not None:
        raise ValueError("dev data and early stopping need the built-in Network")


def _trim(records: list, limit: int) -> int:
    """Drop the oldest records once there are a tenth more than ``limit`` (amortized O(1))."""
    excess = len(records) - limit
    if excess <= limit // 10:
        return 0
    del records[:excess]
    return excess


class Trainer:
    """Trains ``net`` in place on X (n0, m) and y in the network's format (see validate_data);
    ``net`` may also be any model of the protocol, trained on X and y as given, full batch
    (then batch_size, X_dev, y_dev and patience must be left out).

    optimizer: sgd, momentum (β = 0.9, v = βv + (1−β)dW as in the course) or adam (0.9, 0.999,
    1e-8, bias-corrected). batch_size None trains on the full batch. ``lr`` may be changed
    between steps. patience p (needs dev data): stop when the dev loss has not improved for p
    epochs and restore the best parameters.
    """

    def __init__(
        self,
        net: Network,
        X: np.ndarray,
        y: np.ndarray,
        X_dev: np.ndarray | None = None,
        y_dev: np.ndarray | None = None,
        optimizer: str = "sgd",
        lr: float = 0.1,
        batch_size: int | None = None,
        seed: int = 0,
        patience: int | None = None,
    ) -> None:
        self.net = net
        self.built_in = isinstance(net, Network)
        if not self.built_in:
            _check_protocol_model(net, batch_size, X_dev, y_dev, patience)
        self.X, self.y = validate_data(net.spec, X, y) if self.built_in else (X, y)
        if (X_dev is None) != (y_dev is None):
            raise ValueError("give both X_dev and y_dev, or neither")
        self.X_dev, self.y_dev = (None, None) if X_dev is None else validate_data(net.spec, X_dev, y_dev)
        if optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}; got {optimizer!r}")
        lr = fields.number("lr", lr, low=0.0)
        m = self.X.shape[1] if self.built_in else 1  # a model's examples are one full batch
        if batch_size is not None and (
            isinstance(batch_size, bool) or not isinstance(batch_size, Integral) or batch_size < 1
        ):
            raise ValueError(f"batch_size must be a whole number >= 1, or None for the full batch; "
                             f"got {batch_size!r}")
        if patience is not None:
            if isinstance(patience, bool) or not isinstance(patience, Integral) or patience < 1:
                raise ValueError(f"patience must be a whole number of epochs >= 1; got {patience!r}")
            if self.X_dev is None:
                raise ValueError("early stopping (patience) needs dev data: give X_dev and y_dev")
        if isinstance(seed, bool) or not isinstance(seed, Integral) or seed < 0:
            raise ValueError(f"seed must be a whole number >= 0; got {seed!r}")
        self.optimizer = optimizer
        self.lr = float(lr)
        self.batch_size = m if batch_size is None else min(batch_size, m)
        self.batches_per_epoch = math.ceil(m / self.batch_size)
        self.seed = seed
        self.patience = patience
        self._initial_params = {k: v.copy() for k, v in net.params.items()}
        self._initial_scale = {k: float(np.abs(v).max(initial=0.0)) for k, v in net.params.items()}
        self._initial_net_rng = net.rng.bit_generator.state if self.built_in else None
        self.reset()

    # -- state ---------------------------------------------------------------------------------
    @property
    def initial_params(self) -> dict[str, np.ndarray]:
        """Copies of the parameters training started from (what ``reset`` restores)."""
        return {k: v.copy() for k, v in self._initial_params.items()}

    def reset(self) -> None:
        """Back to the start: initial params, optimizer state, counters, history, rng states."""
        for name, value in self._initial_params.items():
            np.copyto(self.net.params[name], value)
        if self.built_in:
            self.net.rng.bit_generator.state = self._initial_net_rng
        self._rng = np.random.default_rng(self.seed)
        self._state: dict[str, dict[str, np.ndarray]] = {}
        self._pending: dict[str, dict[str, np.ndarray]] | None = None
        self._t = 0  # updates applied (Adam's bias correction)
        self.iteration = 0
        self.epoch = 0  # completed epochs
        self._batch = 0  # next minibatch within the epoch
        self._order = np.arange(self.X.shape[1] if self.built_in else 1)  # minibatch order, per epoch
        self.history = History()
        self.stop_reason: str | None = None
        self.best_epoch: int | None = None
        self._best_dev = math.inf
        self._best_params: dict[str, np.ndarray] | None = None
        self._first_loss: float | None = None

    # -- training ------------------------------------------------------------------------------
    def steps(self, n: int) -> Iterator[StepRecord]:
        """Run up to n iterations, yielding a StepRecord after each one.

        Ends early when training stops (``stop_reason``); once stopped it yields nothing until
        ``reset()``. The generator may be abandoned between records: the next call continues.
        """
        if isinstance(n, bool) or not isinstance(n, Integral) or n < 0:
            raise ValueError(f"n must be a whole number of iterations >= 0; got {n!r}")
        return self._run(n)

    def _run(self, n: int) -> Iterator[StepRecord]:
        for _ in range(n):
            if self.stop_reason is not None:
                return
            record = self._step()
            if record is None:
                return
            yield record
            if self.stop_reason is not None:
                return

    def _step(self) -> StepRecord | None:
        if not self.built_in or self.batch_size == self.X.shape[1]:
            Xb, yb = self.X, self.y
        else:
            if self._batch == 0:
                self._order = self._rng.permutation(self.X.shape[1])
            idx = self._order[self._batch * self.batch_size : (self._batch + 1) * self.batch_size]
            Xb = self.X[:, idx]
            yb = self.y[idx] if self.y.ndim == 1 else self.y[:, idx]
        iteration = self.iteration + 1
        with np.errstate(all="ignore"):
            J, grads = self.net.loss(Xb, yb)
            J, grads = float(J), self._gradients(grads)
            if not math.isfinite(J):
                return self._halt(f"the loss became {J} at iteration {iteration}: lower the learning rate")
            bad = [k for k, g in grads.items() if not np.all(np.isfinite(g))]
            if bad:
                return self._halt(f"the gradient of {bad[0]} became NaN or Inf at iteration {iteration}: "
                                  "lower the learning rate")
            updates = self._updates(grads)
            ratios, new = {}, {}
            for name, param in self.net.params.items():
                before = param.astype(np.float64)
                new[name] = (before - updates[name]).astype(param.dtype)
                size = float(np.linalg.norm(before))
                step = float(np.linalg.norm(updates[name]))
                ratios[name] = step / size if size > 0 else math.inf
            if not all(np.all(np.isfinite(v)) for v in new.values()):
                return self._halt(f"the parameters overflowed at iteration {iteration}: "
                                  "lower the learning rate")
            diverged = self._divergence(float(J), new, iteration)
            if diverged:
                return self._halt(diverged)
        self._commit_optimizer_state()
        for name, value in new.items():
            np.copyto(self.net.params[name], value)
        self.iteration = iteration
        epoch = self.epoch + 1
        self._batch += 1
        epoch_end = None
        if self._batch == self.batches_per_epoch:
            self._batch = 0
            self.epoch = epoch
            epoch_end = self._end_epoch() if self.built_in else None
        record = StepRecord(epoch, iteration, float(J), ratios, epoch_end)
        self.history.add_step(record)
        return record

    def _gradients(self, grads: object) -> dict[str, np.ndarray]:
        """The gradient of every parameter block from what loss() returned (extra keys ignored,
        as the course's ``dZ1``); ValueError naming a missing or misshapen one."""
        if not isinstance(grads, dict):
            raise ValueError("loss(X, y) must return (J, grads) with grads a dict; got "
                             f"{type(grads).__name__}")
        out = {}
        for name, param in self.net.params.items():
            if name not in grads:
                raise ValueError(f"loss(X, y) returned no gradient for {name!r} {np.shape(param)}")
            g = np.asarray(grads[name])
            if g.shape != np.shape(param):
                raise ValueError(f"the gradient of {name!r} has shape {g.shape}; its parameter "
                                 f"has shape {np.shape(param)}")
            out[name] = g
        return out

    def _divergence(self, loss: float, new: dict[str, np.ndarray], iteration: int) -> str | None:
        """Why training has diverged (for every optimizer), or None: the loss or a parameter grew
        far beyond where it started."""
        if self._first_loss is None:
            self._first_loss = loss
        if loss > DIVERGENCE_LOSS_FACTOR * max(abs(self._first_loss), 1.0):
            return (f"training diverged at iteration {iteration}: the loss grew from "
                    f"{self._first_loss:.3g} to {loss:.3g}; lower the learning rate")
        for name, value in new.items():
            start = self._initial_scale[name]
            largest = float(np.abs(value).max(initial=0.0))
            if largest > DIVERGENCE_PARAM_FACTOR * max(start, 1.0):
                return (f"training diverged at iteration {iteration}: {name} reached {largest:.3g} "
                        f"(it started at most {start:.3g}); lower the learning rate")
        return None

    def _halt(self, reason: str) -> None:
        """Stop without applying the update (its optimizer state is dropped too)."""
        self._pending = None
        self.stop_reason = reason

    def _updates(self, grads: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The step to subtract from each block (float64); the new optimizer state waits in _pending."""
        lr = float(self.lr)
        pending: dict[str, dict[str, np.ndarray]] = {}
        updates = {}
        t = self._t + 1
        for name, g in grads.items():
            g = np.asarray(g, dtype=np.float64)
            state = self._state.get(name)
            if self.optimizer == "sgd":
                updates[name] = lr * g
            elif self.optimizer == "momentum":
                v_prev = np.zeros_like(g) if state is None else state["v"]
                v = MOMENTUM_BETA * v_prev + (1 - MOMENTUM_BETA) * g
                pending[name] = {"v": v}
                updates[name] = lr * v
            else:
                m_prev = np.zeros_like(g) if state is None else state["m"]
                v_prev = np.zeros_like(g) if state is None else state["v"]
                m = ADAM_BETA1 * m_prev + (1 - ADAM_BETA1) * g
                v = ADAM_BETA2 * v_prev + (1 - ADAM_BETA2) * g * g
                m_hat = m / (1 - ADAM_BETA1**t)
                v_hat = v / (1 - ADAM_BETA2**t)
                pending[name] = {"m": m, "v": v}
                updates[name] = lr * m_hat / (np.sqrt(v_hat) + ADAM_EPS)
        self._pending = pending
        return updates

    def _commit_optimizer_state(self) -> None:
        self._state.update(self._pending or {})
        self._pending = None
        self._t += 1

    # -- epochs --------------------------------------------------------------------------------
    def _evaluate(self, X: np.ndarray, y: np.ndarray) -> tuple[float, float | None]:
        with np.errstate(all="ignore"):
            J = float(self.net.evaluate(X, y, masks=None, backprop=False).J.real)
            if self.net.spec.loss == "mse":
                return J, None
            labels = y.reshape(-1).astype(np.intp)
            return J, float(np.mean(self.net.predict(X) == labels))

    def _end_epoch(self) -> EpochRecord:
        train_loss, train_acc = self._evaluate(self.X, self.y)
        dev_loss = dev_acc = None
        if self.X_dev is not None:
            dev_loss, dev_acc = self._evaluate(self.X_dev, self.y_dev)
        record = EpochRecord(self.epoch, train_loss, train_acc, dev_loss, dev_acc)
        self.history.add_epoch(record)
        if dev_loss is not None:
            self._track_best(dev_loss)
        return record

    def _track_best(self, dev_loss: float) -> None:
        if dev_loss < self._best_dev:
            self._best_dev, self.best_epoch = dev_loss, self.epoch
            self._best_params = {k: v.copy() for k, v in self.net.params.items()}
            return
        if self.patience is None or self.best_epoch is None:
            return
        if self.epoch - self.best_epoch >= self.patience:
            for name, value in self._best_params.items():
                np.copyto(self.net.params[name], value)
            self.stop_reason = (
                f"the dev loss has not improved for {self.patience} epochs (best {self._best_dev:.4g} "
                f"at epoch {self.best_epoch}): stopped early and restored the parameters of epoch "
                f"{self.best_epoch}"
            )
