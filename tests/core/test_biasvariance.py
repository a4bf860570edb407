"""Bias and variance from train and dev error: the lecture's four cases, as fractions and percent."""

import pytest
from helpers import exactly

from gradviz.core.teach.biasvariance import BiasVariance, diagnose

CASES = [  # (train, dev) in percent -> diagnosis (Ng, Bayes error ≈ 0 %)
    (1.0, 11.0, "high variance"),
    (15.0, 16.0, "high bias"),
    (15.0, 30.0, "both"),
    (0.5, 1.0, "neither"),
]


@pytest.mark.parametrize(("train", "dev", "expected"), CASES)
def test_lecture_cases_as_fractions_and_percentages(train, dev, expected):
    assert diagnose(train / 100, dev / 100) == expected
    assert diagnose(train, dev) == expected
    assert diagnose(train, dev, percent=True) == expected


def test_flags_and_advice():
    assert diagnose(0.01, 0.11) == "high variance"
    both = diagnose(0.15, 0.30)
    assert both is BiasVariance.BOTH
    assert (both.high_bias, both.high_variance) == (True, True)
    hv = BiasVariance.HIGH_VARIANCE
    assert (hv.high_bias, hv.high_variance) == (False, True)
    assert "more training data" in hv.advice
    assert "regularization" in hv.advice
    assert "bigger network" in BiasVariance.HIGH_BIAS.advice
    assert "train longer" in BiasVariance.HIGH_BIAS.advice
    assert not BiasVariance.NEITHER.high_bias
    assert not BiasVariance.NEITHER.high_variance


def test_bayes_error_and_threshold():
    # 15 % train error is not avoidable bias when humans get 14 % wrong too
    assert diagnose(0.15, 0.16, bayes_error=0.14) == "neither"
    assert diagnose(15, 16, 14) == "neither"
    assert diagnose(0.03, 0.06, threshold=0.02) == "both"
    assert diagnose(0.03, 0.06) == "neither"


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((-0.1, 0.2), "train_error must be >= 0"),
        ((0.1, -0.2), "dev_error must be >= 0"),
        ((0.1, 0.2, -0.01), "bayes_error must be >= 0"),
        ((float("nan"), 0.2), "train_error must be a number"),
        ((0.1, float("nan")), "dev_error must be a number"),
        ((10, 120), "dev_error must be at most 100"),
        ((0.1, "0.2"), "dev_error must be a number"),
    ],
)
def test_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        diagnose(*args)


def test_explicit_fractions_refuse_values_above_one():
    with pytest.raises(ValueError, match="at most 1"):
        diagnose(0.1, 2.0, percent=False)
    with pytest.raises(ValueError, match="threshold"):
        diagnose(0.1, 0.2, threshold=0)


def test_a_gap_equal_to_the_threshold_is_not_high():
    """Strictly above the threshold: gaps of exactly 0.25 (exact in binary) give neither."""
    assert diagnose(0.25, 0.5, threshold=0.25) == "neither"
    assert diagnose(0.5, 0.75, bayes_error=0.25, threshold=0.25) == "neither"


def test_an_error_may_reach_the_top_of_its_scale():
    assert diagnose(0.0, 1.0, percent=False) == "high variance"
    assert diagnose(100, 100) == "high bias"


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((0.1, 2.0), {"percent": False}, "dev_error must be at most 1 (a fraction); got 2.0"),
        ((10, 120), {}, "dev_error must be at most 100 (a percentage); got 120"),
        ((0.1, 0.2), {"threshold": 1}, "threshold must be a fraction in (0, 1); got 1"),
        ((0.1, 0.2), {"threshold": 1.5}, "threshold must be a fraction in (0, 1); got 1.5"),
        ((0.1, 0.2), {"threshold": "0.1"}, "threshold must be a fraction in (0, 1); got '0.1'"),
        ((0.1, 0.2), {"threshold": True}, "threshold must be a fraction in (0, 1); got True"),
    ],
)
def test_messages_name_the_scale_and_the_range(args, kwargs, message):
    with pytest.raises(ValueError, match=exactly(message)):
        diagnose(*args, **kwargs)
