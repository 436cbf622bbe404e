"""The command line's argument types: each turns one option's text into a value, or says what is wrong.

argparse prints the message with the usage and exits 2.

Examples
--------
>>> positive("3"), rate("0.1")
(3, 0.1)
>>> try:
...     positive("0")
... except argparse.ArgumentTypeError as err:
...     print(err)
0 must be at least 1
"""

from __future__ import annotations

import argparse
import math

__all__ = ["positive", "rate"]


def positive(text: str) -> int:
    """A whole number of at least 1 (steps, sizes, counts)."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"{n} must be at least 1")
    return n


def rate(text: str) -> float:
    """A positive finite number (a learning rate, Adam's epsilon)."""
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (x > 0 and math.isfinite(x)):
        raise argparse.ArgumentTypeError(f"{text} must be a positive finite number")
    return x
