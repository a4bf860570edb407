"""The sealed-bug quiz: which bugs the check can see on a network, where each bug lives, and the
rounds of a class answering the block and the kind.

A bug *lives* in the blocks whose backprop formula it changes (``home_blocks``); the error then
propagates into the blocks below, which fail too but are not the answer.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gradviz.core.check.gradcheck import gradient_check
from gradviz.core.model.bugs import BUG_KINDS, Bug
from gradviz.core.model.network import Network

#: where each kind changes backprop: the layer's W, its b, or both (the error enters at dZ)
_HOME = {
    "dW_x2": "W", "dW_no_reg": "W", "dW_transposed": "W",
    "db_x4": "b", "db_wrong_axis": "b",
    "act_deriv": "Wb", "dropout_mask_missing": "Wb", "dropout_scale_missing": "Wb", "dscores_sign": "Wb",
}


def home_blocks(bug: Bug, n_layers: int) -> set[str]:
    """The blocks whose formula the bug changes (dscores_sign: the output layer's)."""
    layer = n_layers if bug.kind == "dscores_sign" else bug.layer
    return {f"{letter}{layer}" for letter in _HOME[bug.kind]}


def plantable_bugs(net: Network) -> list[Bug]:
    """Every catalogue bug the network accepts (dscores_sign once, at the last layer)."""
    bugs = []
    for kind in BUG_KINDS:
        layers = [net.n_layers] if kind == "dscores_sign" else range(1, net.n_layers + 1)
        for layer in layers:
            try:
                _with_bug(net, Bug(kind, layer))
            except ValueError:
                continue
            bugs.append(Bug(kind, layer))
    return bugs


def _with_bug(net: Network, bug: Bug) -> Network:
    copy = Network(net.spec, params=net.params)
    copy.add_bug(bug.kind, bug.layer)
    return copy


def bug_is_visible(net: Network, X, y, bug: Bug, check_options: dict[str, Any]) -> bool:
    """Whether a check with ``check_options`` on a copy of ``net`` with ``bug`` planted flags one
    of the bug's home blocks (ValueError if the network cannot take the bug)."""
    report = gradient_check(_with_bug(net, bug), X, y, **check_options)
    return bool(home_blocks(bug, net.n_layers) & set(report.failing_blocks()))


def iter_visible_bug(
    net: Network, X, y, check_options: dict[str, Any], *, seed: int | None = None,
    candidates: Iterable[Bug] | None = None,
) -> Iterator[Bug]:
    """Try the candidates (default: every plantable bug) in a random order; yield each one
    tried (for progress and cancelling) and return the first the check sees, or None."""
    bugs = list(plantable_bugs(net) if candidates is None else candidates)
    random.Random(seed).shuffle(bugs)
    for bug in bugs:
        yield bug
        if bug_is_visible(net, X, y, bug, check_options):
            return bug
    return None


@dataclass
class Round:
    """One sealed bug and the class's answer (block and kind None: revealed without one)."""

    number: int
    bug: Bug
    home: frozenset[str]
    block: str | None = None
    kind: str | None = None

    @property
    def block_right(self) -> bool:
        return self.block in self.home

    @property
    def kind_right(self) -> bool:
        return self.kind == self.bug.kind

    @property
    def points(self) -> int:
        """One point for the block, one for the kind."""
        return int(self.block_right) + int(self.kind_right)


@dataclass
class Quiz:
    """Rounds of sealed bugs with a score (2 points a round: the block and the kind)."""

    rounds: list[Round] = field(default_factory=list)

    def answer(self, bug: Bug, n_layers: int, block: str | None, kind: str | None) -> Round:
        """Record the answer to ``bug`` on a network of ``n_layers`` layers; return the round."""
        if kind is not None and kind not in BUG_KINDS:
            raise ValueError(f"kind must be one of {', '.join(BUG_KINDS)}; got {kind!r}")
        round_ = Round(len(self.rounds) + 1, bug, frozenset(home_blocks(bug, n_layers)), block, kind)
        self.rounds.append(round_)
        return round_

    @property
    def score(self) -> int:
        return sum(r.points for r in self.rounds)

    @property
    def max_score(self) -> int:
        return 2 * len(self.rounds)

    def summary(self) -> str:
        """E.g. "3 rounds, 5 of 6 points: blocks 3 of 3, kinds 2 of 3"."""
        n = len(self.rounds)
        if not n:
            return "No rounds played yet."
        blocks = sum(r.block_right for r in self.rounds)
        kinds = sum(r.kind_right for r in self.rounds)
        return (f"{n} round{'s' if n != 1 else ''}, {self.score} of {self.max_score} points: "
                f"blocks {blocks} of {n}, kinds {kinds} of {n}")

    def rows(self) -> Sequence[dict[str, Any]]:
        return [{"round": r.number, "bug": r.bug.kind, "layer": r.bug.layer,
                 "answer_block": r.block or "", "answer_kind": r.kind or "",
                 "block_right": r.block_right, "kind_right": r.kind_right, "points": r.points}
                for r in self.rounds]

    def to_csv(self, path: str | Path) -> None:
        """One row per round (round, bug, layer, answer_block, answer_kind, block_right,
        kind_right, points)."""
        fields = ["round", "bug", "layer", "answer_block", "answer_kind", "block_right",
                  "kind_right", "points"]
        with Path(path).open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=fields)
            writer.writeheader()
            writer.writerows(self.rows())
