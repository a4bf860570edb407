"""The catalogue of planted bugs: parsing KIND:LAYER and validating a bug against a network."""

import pytest
from helpers import exactly

from gradviz.core.model.bugs import BUG_KINDS, Bug, validate_bug


def test_parse_reads_kind_and_layer():
    assert Bug.parse(" dW_x2 : 2") == Bug("dW_x2", 2)
    assert str(Bug.parse("db_x4:10")) == "db_x4:10"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (3, "a bug is written KIND:LAYER, e.g. dW_x2:2; got 3"),
        ("dW_x2", "a bug is written KIND:LAYER, e.g. dW_x2:2; got 'dW_x2'"),
        ("dW_x2:x", "a bug is written KIND:LAYER, e.g. dW_x2:2; got 'dW_x2:x'"),
        ("dW_x2:1:2", "a bug is written KIND:LAYER, e.g. dW_x2:2; got 'dW_x2:1:2'"),
        ("dW_x2:", "a bug is written KIND:LAYER, e.g. dW_x2:2; got 'dW_x2:'"),
    ],
)
def test_parse_refuses_anything_but_kind_colon_digits(text, message):
    with pytest.raises(ValueError, match=exactly(message)):
        Bug.parse(text)


def test_validate_names_every_kind_and_the_layer_range():
    validate_bug("dW_x2", 3, 3, square=False)
    kinds = ", ".join(BUG_KINDS)
    with pytest.raises(ValueError, match=exactly(f"bug kind must be one of {kinds}; got 'dW'")):
        validate_bug("dW", 1, 3, square=False)
    for layer in (True, 1.0, 0, 4):
        with pytest.raises(ValueError, match=exactly(f"bug layer must be between 1 and 3; got {layer!r}")):
            validate_bug("dW_x2", layer, 3, square=False)
    square = "dW_transposed needs a square W2 (as many units as inputs)"
    with pytest.raises(ValueError, match=exactly(square)):
        validate_bug("dW_transposed", 2, 3, square=False)
    validate_bug("dW_transposed", 2, 3, square=True)
