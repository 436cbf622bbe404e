"""Written numbers: what a student wrote, read as a decimal with its precision, and compared at that precision.

A number is read from its text without evaluating anything: an optional sign,
digits with an optional decimal point, and an optional power of ten
(``4.8e-3``, ``4.8 x 10^-3``, ``4.8×10^(-3)``). Its precision is the place of
its last written digit: ``"0.716"`` has 3 decimals, ``"4.8e-3"`` has 4.

A written number **agrees** with a value when it is the value rounded (half
up or half to even) or truncated (toward zero) at the written precision.

Examples
--------
>>> w = read_number("0.716")
>>> w.value, w.decimals
(0.716, 3)
>>> agrees(w, 0.71736), agrees(w, 0.7169), agrees(w, 0.7149)
(False, True, False)
>>> agrees(read_number("0.717"), 0.71736), agrees(read_number("-0.05"), -0.0562)
(True, True)
>>> read_number("4.8 x 10^-3").decimals, read_number("abc").value is None
(4, True)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation

__all__ = ["Written", "agrees", "digits_of", "read_number", "rounded"]

_MINUS = str.maketrans({"−": "-", "–": "-", "﹣": "-", "＋": "+"})
_NUMBER = re.compile(
    r"^(?P<mantissa>[+-]?(?:\d+(?:\.\d*)?|\.\d+))"
    r"(?:[eE](?P<e>[+-]?\d{1,4})|[x×*·]10(?:\^|\*\*)\(?(?P<p>[+-]?\d{1,4})\)?)?$"
)
#: values are compared after rounding to this many significant digits (float noise such as 0.7000000000000001)
SIGNIFICANT = 12
_MODES = (ROUND_HALF_UP, ROUND_HALF_EVEN, ROUND_DOWN)


@dataclass(frozen=True)
class Written:
    """One written number: its text, its value and its precision (None for both when it cannot be read).

    Attributes
    ----------
    text : str
        As written.
    decimal : decimal.Decimal or None
    decimals : int or None
        The place of the last written digit: 3 for ``"0.716"``, -2 for ``"3e2"``.
    """

    text: str
    decimal: Decimal | None
    decimals: int | None

    @property
    def value(self) -> float | None:
        """The number as a float (None when unreadable)."""
        return None if self.decimal is None else float(self.decimal)

    @property
    def readable(self) -> bool:
        """Whether the text is a number."""
        return self.decimal is not None


def read_number(text) -> Written:
    """Read a written number from its text; never evaluates it (see the module's docstring for the forms)."""
    raw = str(text)
    compact = re.sub(r"\s+", "", raw.translate(_MINUS))
    m = _NUMBER.match(compact)
    if m is None or len(compact) > 60:
        return Written(raw, None, None)
    try:
        mantissa = Decimal(m["mantissa"])
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        return Written(raw, None, None)
    power = int(m["e"] or m["p"] or 0)
    places = -mantissa.as_tuple().exponent
    return Written(raw, mantissa.scaleb(power), places - power)


def _decimal(value: float) -> Decimal:
    return Decimal(f"{value:.{SIGNIFICANT}g}")


def rounded(value: float, decimals: int, mode=ROUND_HALF_UP) -> Decimal:
    """``value`` at ``decimals`` places (negative: tens, hundreds), rounded half up by default.

    Examples
    --------
    >>> rounded(0.71736, 3), rounded(-0.0562, 2, ROUND_DOWN), rounded(1234.5, -2)
    (Decimal('0.717'), Decimal('-0.05'), Decimal('1.2E+3'))
    """
    return _decimal(value).quantize(Decimal(1).scaleb(-decimals), rounding=mode)


def agrees(written: Written, value: float) -> bool:
    """Whether ``written`` is ``value`` rounded or truncated at the written precision."""
    if not written.readable or value is None or value != value or abs(value) == float("inf"):
        return False
    if abs(value) >= 1e15 or written.decimals > 15:  # too large or too fine to be a written answer of this value
        return abs(written.value - value) <= 1e-12 * max(1.0, abs(value))
    return any(rounded(value, written.decimals, mode) == written.decimal for mode in _MODES)


def digits_of(value: float, decimals: int) -> str:
    """``value`` written with ``decimals`` places (rounded half up), as a student would: ``'-0.056'``."""
    if decimals <= 0:
        return f"{rounded(value, decimals):f}".split(".")[0]
    return f"{rounded(value, decimals):.{decimals}f}"
