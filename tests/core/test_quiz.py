"""The quiz's engine: where each bug lives, which bugs the check can see, rounds and their score."""

import csv

import pytest
from helpers import drain

from gradviz.core import BUG_KINDS, Bug, LayerSpec, Network, NetworkSpec, gradient_check
from gradviz.core.teach.quiz import Quiz, bug_is_visible, home_blocks, iter_visible_bug, plantable_bugs


@pytest.fixture
def net():
    return Network(NetworkSpec(2, [LayerSpec(4, "tanh"), LayerSpec(4, "tanh"), LayerSpec(3, "linear")]))


@pytest.fixture
def data(rng):
    return rng.normal(size=(2, 6)), rng.integers(0, 3, 6)



def test_home_blocks_are_where_the_formula_changes():
    assert home_blocks(Bug("dW_x2", 2), 3) == {"W2"}
    assert home_blocks(Bug("db_x4", 1), 3) == {"b1"}
    assert home_blocks(Bug("act_deriv", 2), 3) == {"W2", "b2"}
    assert home_blocks(Bug("dscores_sign", 1), 3) == {"W3", "b3"}  # the output layer's, any layer given
    assert all(home_blocks(Bug(kind, 1), 2) for kind in BUG_KINDS)


def test_an_error_that_only_propagated_is_not_the_answer(net, data):
    net.inject_bug("act_deriv", 2)
    failing = gradient_check(net, *data).failing_blocks()
    assert {"W1", "b1", "W2", "b2"} <= set(failing)  # layer 1 fails too: dZ2 flows into it
    quiz = Quiz()
    below = quiz.answer(Bug("act_deriv", 2), 3, "W1", "act_deriv")
    assert not below.block_right
    assert below.kind_right
    assert below.points == 1
    assert quiz.answer(Bug("act_deriv", 2), 3, "b2", "act_deriv").points == 2


def test_plantable_bugs_follow_the_network(net):
    bugs = set(plantable_bugs(net))
    assert Bug("dW_transposed", 2) in bugs  # W2 is 4 × 4
    assert Bug("dW_transposed", 1) not in bugs
    assert not any(b.kind in ("dW_no_reg", "dropout_mask_missing") for b in bugs)  # no λ, no dropout
    assert [b for b in bugs if b.kind == "dscores_sign"] == [Bug("dscores_sign", 3)]


def test_a_bug_the_check_cannot_see_is_not_visible(data):
    # dW_no_reg with λ = 0.5 at W2 = 0 (exactly): the missing (λ/m)·W2 is zero
    net = Network(NetworkSpec(2, [LayerSpec(4, "tanh"), LayerSpec(3, "linear")], l2=0.5))
    net.params["W2"][:] = 0
    assert not bug_is_visible(net, *data, Bug("dW_no_reg", 2), {})
    assert bug_is_visible(net, *data, Bug("dW_no_reg", 1), {})
    assert net.bug is None  # a copy was checked


def test_visible_bugs_depend_on_the_check_settings(data):
    net = Network(NetworkSpec(2, [LayerSpec(4, "tanh", keep_prob=0.5), LayerSpec(3, "linear")]))
    bug = Bug("dropout_mask_missing", 1)
    assert not bug_is_visible(net, *data, bug, {"dropout": "off"})
    assert bug_is_visible(net, *data, bug, {"dropout": "frozen"})


def test_iter_visible_bug_skips_what_the_check_cannot_see(data):
    net = Network(NetworkSpec(2, [LayerSpec(4, "tanh", keep_prob=0.5), LayerSpec(3, "linear")]))
    hidden = [Bug("dropout_mask_missing", 1), Bug("dropout_scale_missing", 1)]
    tried, found = drain(iter_visible_bug(net, *data, {}, seed=3, candidates=[*hidden, Bug("db_x4", 2)]))
    assert found == Bug("db_x4", 2)
    assert tried[-1] == found
    tried, found = drain(iter_visible_bug(net, *data, {}, candidates=hidden))
    assert found is None
    assert set(tried) == set(hidden)


def test_rounds_score_and_export(tmp_path):
    quiz = Quiz()
    assert quiz.summary() == "No rounds played yet."
    quiz.answer(Bug("dW_x2", 2), 3, "W2", "dW_x2")
    quiz.answer(Bug("db_x4", 1), 3, "b1", "db_wrong_axis")
    quiz.answer(Bug("act_deriv", 3), 3, None, None)  # revealed without an answer
    assert [r.points for r in quiz.rounds] == [2, 1, 0]
    assert (quiz.score, quiz.max_score) == (3, 6)
    assert quiz.summary() == "3 rounds, 3 of 6 points: blocks 2 of 3, kinds 1 of 3"
    path = tmp_path / "quiz.csv"
    quiz.to_csv(path)
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["points"] for r in rows] == ["2", "1", "0"]
    assert rows[1] == {"round": "2", "bug": "db_x4", "layer": "1", "answer_block": "b1",
                       "answer_kind": "db_wrong_axis", "block_right": "True", "kind_right": "False",
                       "points": "1"}
    with pytest.raises(ValueError, match="kind must be one of"):
        quiz.answer(Bug("dW_x2", 1), 3, "W1", "typo")
