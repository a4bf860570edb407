"""Single-value checks (gradviz.core.model.fields) and the fast engine's ReLU intervals, pinned to
exact messages and boundaries."""

import json

import numpy as np
import pytest

from gradviz.core.check.deltas import relu_interval
from gradviz.core.model import fields


class Hostile:
    def __repr__(self):
        raise RuntimeError("no repr for you")


def test_quote_cuts_long_values_to_forty_characters():
    assert fields.quote(5) == "5"
    assert fields.quote(None) == "None"
    exact = "x" * 38  # repr adds two quotes: 40 characters, kept whole
    assert fields.quote(exact) == repr(exact)
    long = "y" * 100
    assert fields.quote(long) == repr(long)[:37] + "..."
    assert len(fields.quote(long)) == fields.QUOTE_CHARS
    assert fields.quote(Hostile()) == "<Hostile>"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: fields.number("eps", "a", low=0.0, high=1.0, low_open=True),
         "eps must be a finite number in (0, 1]; got 'a'"),
        (lambda: fields.number("eps", 0.0, low=0.0, high=1.0, low_open=True),
         r"eps must be a number in (0, 1]; got 0.0"),
        (lambda: fields.number("p", 1.0, low=0.0, high=1.0, high_open=True),
         "p must be a number in [0, 1); got 1.0"),
        (lambda: fields.number("x", 10**309), "x must be a finite number; got 1000"),
        (lambda: fields.whole("n", 0, low=1), "n must be a whole number >= 1; got 0"),
        (lambda: fields.whole("n", 11, low=1, high=10), "n must be a whole number from 1 to 10; got 11"),
        (lambda: fields.whole("n", True), "n must be a whole number >= 0; got True"),
        (lambda: fields.optional_whole("k", 0), "k must be a whole number >= 1; got 0"),
        (lambda: fields.optional_whole("k", 6, high=5), "k must be a whole number from 1 to 5; got 6"),
        (lambda: fields.choice("c", ["a"], ("a", "b")), "c must be one of a, b; got ['a']"),
        (lambda: fields.flag("f", 1), "f must be true or false; got 1"),
        (lambda: fields.text("t", 3), "t must be a string; got 3"),
        (lambda: fields.text("t", "abcd", max_chars=3), "t must be at most 3 characters; it has 4"),
        (lambda: fields.parse_json("{"),
         "not valid JSON (Expecting property name enclosed in double quotes at line 1, column 2)"),
        (lambda: fields.parse_json("[" * 33 + "]" * 33), "the JSON is nested 33 levels deep; at most 32"),
        (lambda: fields.parse_json('{"a": ' + "1" * 5000 + "}"), "not valid JSON (Exceeds the limit (4300 "
                                                                   "digits) for integer string conversion"),
    ],
)
def test_messages_name_the_field_and_what_it_accepts(call, message):
    with pytest.raises(ValueError, match=r"\w") as info:
        call()
    assert str(info.value).startswith(message)


def test_values_at_the_boundaries_are_accepted():
    assert fields.number("x", 1, low=1, high=1) == 1.0
    assert fields.whole("n", 10, low=1, high=10) == 10
    assert fields.optional_whole("k", None) is None
    assert fields.optional_whole("k", 5, high=5) == 5
    assert fields.optional_whole("k", 1) == 1
    assert fields.text("t", "abc", max_chars=3) == "abc"
    assert fields.flag("f", False) is False
    assert fields.parse_json("[" * 32 + "]" * 32) == json.loads("[" * 32 + "]" * 32)


@pytest.mark.parametrize(
    ("text", "depth"),
    [("", 0), ("1", 0), ("[]", 1), ('{"a": [1, {}]}', 3), ('"[[["', 0), ('["]"]', 1),
     ('["\\"[["]', 1), ("[[]][[[]]]", 3), ('{"a": "}}}"}', 1)],
)
def test_json_depth_skips_brackets_inside_strings(text, depth):
    assert fields.json_depth(text) == depth


def test_relu_interval_keeps_every_switch_inside_and_flips_one_outside():
    rng = np.random.default_rng(3)
    z0 = rng.standard_normal((4, 5))
    w = rng.standard_normal((3, 5))
    w[0, 2] = 0.0  # a unit the change does not reach
    lo, hi = relu_interval(z0, w)
    assert lo.shape == hi.shape == (3, 4)
    assert np.all(lo <= 0)
    assert np.all(hi >= 0)
    base = z0 > 0
    for r in range(3):
        for j in range(4):
            for t in np.linspace(lo[r, j], hi[r, j], 9)[1:-1]:
                np.testing.assert_array_equal(z0[j] + w[r] * t > 0, base[j])
            for edge, outward in ((lo[r, j], -1), (hi[r, j], 1)):
                if np.isfinite(edge):
                    beyond = edge + outward * 1e-9 * max(1.0, abs(edge))
                    assert np.any((z0[j] + w[r] * beyond > 0) != base[j])
