"""Time-indexed symbols: the one place that names x_t, h_{t-1}, h_3 and derivative symbols.

A cell is written with *generic-time* symbols: :class:`Now` is a per-step
quantity at step t (``x_t``, ``h_t``) and :class:`Prev` is a state's value at
the previous step (``h_{t-1}``). Unrolling replaces them with :class:`Step`
symbols for concrete steps (``h_3``). Derivations name their intermediate
results with :class:`Named` symbols (``∂h_3/∂U``, ``dh_2/dU``, ``δh_3``).

All of them are real sympy Symbols, distinct by class, so ``Now("h")``,
``Prev("h")`` and ``Step("h_3")`` never compare equal.

Examples
--------
>>> h = now("h")
>>> h, h.prev, h.at(3)
(h_t, h_{t-1}, h_3)
>>> step("h", 10).t, step("h", 10).base
(10, 'h')
"""

from __future__ import annotations

import numbers
import re

import sympy as sp

from .errors import StepsError

__all__ = [
    "MAX_STEPS",
    "MAX_SYMBOLIC_STEPS",
    "Named",
    "Now",
    "Prev",
    "Step",
    "check_steps",
    "initial_name",
    "now",
    "param",
    "prev",
    "split_step",
    "step",
    "step_name",
]


def _latex_base(name: str, printer) -> str:
    return "{" + printer._print(sp.Symbol(name)) + "}"


class _Ordered(sp.Symbol):
    """Sorts and prints among plain Symbols by its displayed name (h_9 before h_10)."""

    def _display_key(self) -> tuple:
        return (self.name,)

    def sort_key(self, order=None):
        return sp.Symbol.class_key(), (1, self._display_key()), sp.S.One.sort_key(), sp.S.One


class Now(_Ordered):
    """A per-step quantity at the generic step t: ``x_t``, ``a_t``, ``h_t``."""

    def _display_key(self) -> tuple:
        return (self.name + "_t",)

    @property
    def prev(self) -> Prev:
        """The value of this state at the previous step, ``h_{t-1}``."""
        return prev(self.name)

    def at(self, t: int) -> Step:
        """This quantity at the concrete step ``t`` (``h.at(0)`` is the initial state)."""
        return step(self.name, t)

    def _sympystr(self, printer) -> str:
        return f"{self.name}_t"

    def _latex(self, printer) -> str:
        return _latex_base(self.name, printer) + "_{t}"


class Prev(_Ordered):
    """A state's value at the previous step: ``h_{t-1}``."""

    def _display_key(self) -> tuple:
        return (self.name + "_t-1",)

    def _sympystr(self, printer) -> str:
        return f"{self.name}_{{t-1}}"

    def _latex(self, printer) -> str:
        return _latex_base(self.name, printer) + "_{t-1}"


class Step(_Ordered):
    """A per-step quantity at a concrete step: ``h_3``; its name is ``f"{base}_{t}"``."""

    def _display_key(self) -> tuple:
        return (self.base, self.t)

    @property
    def base(self) -> str:
        """The name of the quantity, ``"h"`` for ``h_3``."""
        return self._parts()[0]

    @property
    def t(self) -> int:
        """The step, ``3`` for ``h_3``."""
        return self._parts()[1]

    def _parts(self) -> tuple[str, int]:
        parts = split_step(self.name)
        if parts is None:  # step() always names it base_t
            raise ValueError(f"{self.name!r} is not a per-step name such as h_3")
        return parts

    def _latex(self, printer) -> str:
        return _latex_base(self.base, printer) + "_{" + str(self.t) + "}"


_FRACTION = re.compile(r"^([d∂])(.+)/([d∂])(.+)$")


class Named(_Ordered):
    """A named intermediate result of a derivation (``∂h_3/∂U``, ``dh_2/dU``, ``δh_3``)."""

    def _display_key(self) -> tuple:
        # partials before totals before deltas: ∂h_3/∂h_2*dh_2/dU reads as written by hand
        rank = {"∂": "0", "d": "1", "δ": "2"}.get(self.name[:1], "3")
        return ("\x00" + rank + self.name,)

    def _latex(self, printer) -> str:
        m = _FRACTION.match(self.name)
        if m:
            top, num, bottom, den = m.groups()
            op = {"d": r"d", "∂": r"\partial"}
            return (
                r"\frac{" + op[top] + " " + _latex_name(num, printer) + "}{"
                + op[bottom] + " " + _latex_name(den, printer) + "}"
            )
        if self.name.startswith("δ"):
            return r"\delta " + _latex_name(self.name[1:], printer)
        return r"\mathrm{" + self.name.replace("_", r"\_") + "}"


def _latex_name(name: str, printer) -> str:
    found = split_step(name)
    if found:
        return _latex_base(found[0], printer) + "_{" + str(found[1]) + "}"
    return _latex_base(name, printer)


def now(name: str) -> Now:
    """The generic-time symbol of quantity ``name`` (``x_t``)."""
    return Now(name, real=True)


def prev(name: str) -> Prev:
    """The previous-step symbol of state ``name`` (``h_{t-1}``).

    Use it in expressions of a graph given to :meth:`symbrnn.Cell.from_graph`.
    """
    return Prev(name, real=True)


def step_name(name: str, t: int) -> str:
    """The name of quantity ``name`` at step ``t``: ``"h_3"``.

    Examples
    --------
    >>> step_name("h", 3), initial_name("c"), split_step("h_10"), split_step("W[1,0]_0"), split_step("w")
    ('h_3', 'c_0', ('h', 10), ('W[1,0]', 0), None)
    """
    return f"{name}_{t}"


def initial_name(state: str) -> str:
    """The name of a state's initial value: ``"h_0"``."""
    return step_name(state, 0)


def split_step(name: str) -> tuple[str, int] | None:
    """``(quantity, step)`` of a time-indexed name (``("h", 3)`` for ``"h_3"``), None if it is not one."""
    base, sep, t = name.rpartition("_")
    if not (sep and base and t.isdigit() and t.isascii()):
        return None
    return base, int(t)


def step(name: str, t: int) -> Step:
    """The symbol of quantity ``name`` at the concrete step ``t``."""
    return Step(step_name(name, t), real=True)


def param(name: str) -> sp.Symbol:
    """The symbol of a parameter (shared across steps)."""
    return sp.Symbol(name, real=True)


#: steps of a numeric evaluation (the compiled programs; linear in T)
MAX_STEPS = 1_000_000
#: steps of a symbolic derivation or unrolled graph (every term is a sympy expression)
MAX_SYMBOLIC_STEPS = 10_000


def check_steps(T, limit: int = MAX_STEPS) -> int:
    """Return ``T`` as an int, or raise :class:`StepsError` if it is not a whole number from 1 to ``limit``."""
    if isinstance(T, bool) or not isinstance(T, numbers.Integral) or int(T) < 1:
        raise StepsError(f"T={T!r}: the number of steps must be a whole number >= 1, e.g. T=3")
    if int(T) > limit:
        what = "a symbolic derivation" if limit == MAX_SYMBOLIC_STEPS else "an evaluation"
        raise StepsError(f"T={int(T):,}: {what} takes at most {limit:,} steps")
    return int(T)
