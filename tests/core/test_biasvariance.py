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


def test_the_lecture_cases_constant_reads_as_the_lecture():
    from gradviz.core.teach.biasvariance import LECTURE_CASES

    assert [(t, d, str(r)) for t, d, r in LECTURE_CASES] == CASES
    assert all(diagnose(t, d) is r for t, d, r in LECTURE_CASES)


def test_error_margin_is_the_wilson_interval():
    from gradviz.core.teach.biasvariance import error_margin

    # Wilson half-width written out: z·√(p(1−p)/n + z²/4n²) / (1 + z²/n), z = 1.96
    p, n, z = 0.1, 60, 1.96
    expected = z * ((p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5) / (1 + z * z / n)
    assert error_margin(p, n) == pytest.approx(expected)
    assert error_margin(0.1, 10_000) == pytest.approx(0.0059, abs=1e-4)  # a 1 % dev set of 1,000,000
    assert error_margin(0.0, 60) > 0  # no errors seen on 60 examples is not a 0 % error rate
    assert error_margin(0.1, 100) > error_margin(0.1, 1000) > error_margin(0.1, 10_000)
    with pytest.raises(ValueError, match="n must be"):
        error_margin(0.1, 0)
    with pytest.raises(ValueError, match="fraction"):
        error_margin(11.0, 60)


def test_a_reading_says_the_errors_the_margin_and_the_advice():
    from gradviz.core.teach.biasvariance import Reading, error_margin

    reading = Reading(0.01, 0.11, n_train=240, n_dev=60)
    assert reading.diagnosis is BiasVariance.HIGH_VARIANCE
    text = reading.sentence()
    assert text.startswith("train error 1.0 %, dev error 11.0 % ± ")
    assert f"± {100 * error_margin(0.11, 60):.1f} % (60 dev examples)" in text
    assert "high variance" in text
    assert BiasVariance.HIGH_VARIANCE.advice in text
    with_bayes = Reading(0.15, 0.16, 240, 60, bayes_error=0.14)
    assert with_bayes.diagnosis is BiasVariance.NEITHER
    assert "Bayes error 14 %" in with_bayes.sentence()
