"""Checks of single values from users (JSON files, the command line, API calls).

Each returns the value in its plain Python type or raises ValueError naming the field and what it
accepts, whatever the value is: a bool where a number is expected, an integer too large for a
float (10**309), a NaN, a list, None.
"""

from __future__ import annotations

import json
import math
import re
from numbers import Integral, Real
from typing import Any

import numpy as np

#: the longest excerpt of a user's value quoted in an error message
QUOTE_CHARS = 40
#: the deepest nesting of arrays and objects a JSON file may have (a session needs 5)
MAX_JSON_DEPTH = 32
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)


def quote(value: Any) -> str:
    """repr(value), cut to QUOTE_CHARS characters: error messages never echo a whole file."""
    try:
        text = repr(value)
    except Exception:  # a hostile __repr__ must not replace the message
        text = f"<{type(value).__name__}>"
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 3] + "..."


def as_float(value: Any) -> float | None:
    """value as a float if it is a real number (not a bool) that a float can hold, else None."""
    if isinstance(value, bool) or not isinstance(value, Real):
        return None
    try:
        return float(value)
    except (OverflowError, ValueError, TypeError):
        return None


def number(
    name: str,
    value: Any,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """A finite real number in [low, high] (open ends with low_open / high_open)."""
    x = as_float(value)
    left = "(" if low_open else "["
    right = ")" if high_open else "]"
    span = ""
    if low > -math.inf or high < math.inf:
        span = f" in {left}{_g(low)}, {_g(high)}{right}"
    if x is None or not math.isfinite(x):
        raise ValueError(f"{name} must be a finite number{span}; got {quote(value)}")
    if x < low or x > high or (low_open and x == low) or (high_open and x == high):
        raise ValueError(f"{name} must be a number{span}; got {quote(value)}")
    return x


def whole(name: str, value: Any, *, low: int = 0, high: int | None = None) -> int:
    """A whole number (int, not bool) in [low, high]."""
    ok = isinstance(value, Integral) and not isinstance(value, bool)
    if ok:
        value = int(value)
        ok = value >= low and (high is None or value <= high)
    if not ok:
        span = f">= {low}" if high is None else f"from {low} to {high:,}"
        raise ValueError(f"{name} must be a whole number {span}; got {quote(value)}")
    return value


def optional_whole(name: str, value: Any, *, low: int = 1, high: int | None = None) -> int | None:
    return None if value is None else whole(name, value, low=low, high=high)


def choice(name: str, value: Any, allowed: tuple[str, ...]) -> str:
    """One of the allowed strings."""
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}; got {quote(value)}")
    return value


def flag(name: str, value: Any) -> bool:
    """true or false (not 0, 1 or "yes")."""
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be true or false; got {quote(value)}")
    return value


def text(name: str, value: Any, *, max_chars: int = 100_000) -> str:
    """A string of at most max_chars characters."""
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string; got {quote(value)}")
    if len(value) > max_chars:
        raise ValueError(f"{name} must be at most {max_chars:,} characters; it has {len(value):,}")
    return value


def _g(x: float) -> str:
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:g}"


def json_depth(text: str) -> int:
    """The deepest nesting of [ and { in JSON text, brackets inside strings not counted."""
    stripped = _JSON_STRING.sub("", text).encode("utf-8", "replace")
    codes = np.frombuffer(stripped, dtype=np.uint8)
    steps = np.isin(codes, (ord("["), ord("{"))).astype(np.int64)
    steps -= np.isin(codes, (ord("]"), ord("}")))
    return int(np.cumsum(steps).max(initial=0))


def parse_json(text: str) -> Any:
    """json.loads, refusing nesting deeper than MAX_JSON_DEPTH and any other fault as ValueError."""
    depth = json_depth(text)
    if depth > MAX_JSON_DEPTH:
        raise ValueError(f"the JSON is nested {depth} levels deep; at most {MAX_JSON_DEPTH} are allowed")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
    except (ValueError, RecursionError) as exc:  # e.g. an integer of more than 4300 digits
        raise ValueError(f"not valid JSON ({str(exc).split(';')[0]})") from None
