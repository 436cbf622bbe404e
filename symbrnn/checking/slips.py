"""The library of hypotheses: each a rule that recomputes a quantity the wrong way a hand derivation goes wrong.

A :class:`Slip` yields :class:`Variant` objects for one quantity: a variant
either rewrites the definitions used (``rewrite`` on the quantity's and its
region's, ``own`` on the quantity's alone), adjusts the numbers read
(``adjust``: early rounding), transforms the recomputed number
(``transform``: a sign, a factor of 10), names a number to compare with
(``value``: another line, the same quantity a step away) or compares the
digits themselves (``matches``). :data:`SLIPS` lists them from the most to
the least specific; the first that explains a written number names its cause.

Examples
--------
>>> [s.name for s in SLIPS][:4]
['activation omitted', "tanh' as 1 − tanh", "σ' as σ", 'derivative omitted']
>>> from symbrnn.checking.written import read_number
>>> transposed(read_number("0.7147"), 0.71736), one_digit(read_number("0.7274"), 0.71736)
(True, True)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP

import sympy as sp

from ..core.symbols import param
from ..declare.functions import relu, sigmoid
from . import rewrites as rw
from .written import Written, digits_of, rounded

__all__ = ["SLIPS", "Slip", "Variant", "one_digit", "transposed"]


@dataclass(frozen=True)
class Variant:
    """One wrong way to compute a quantity, and its description (the cause)."""

    cause: str
    rewrite: Callable | None = None
    own: Callable | None = None
    adjust: Callable | None = None
    transform: Callable | None = None
    value: float | None = None
    matches: Callable | None = None
    top: object = None


@dataclass(frozen=True)
class Slip:
    """A hypothesis: its name and the variants it tries for a situation (see :mod:`symbrnn.checking.diagnose`)."""

    name: str
    variants: Callable[..., Iterable[Variant]]


def _functions(s) -> set:
    return {type(f) for e in s.exprs for f in e.atoms(sp.Function)}


def _activation(s, r):
    present = _functions(s)
    for f, name in ((sp.tanh, "tanh"), (sigmoid, "σ"), (relu, "relu")):
        if f in present:
            yield Variant(f"the activation {name} omitted",
                          rewrite=lambda n, e, f=f: rw.activation_omitted(e, f))


def _tanh_prime(s, r):
    yield Variant("tanh' written as 1 − tanh (not 1 − tanh²)",
                  rewrite=lambda n, e: rw.tanh_prime_as_one_minus(e, s.tanh_names))


def _sigmoid_prime(s, r):
    for kept, text in (("s", "σ"), ("1-s", "1 − σ")):
        yield Variant(f"σ' written as {text} (not σ(1 − σ))",
                      rewrite=lambda n, e, k=kept: rw.sigmoid_prime_as(e, s.sigmoid_names, k))


def _derivative(s, r):
    yield Variant("the activation's derivative left out (tanh' or σ' taken as 1)",
                  rewrite=lambda n, e: rw.derivative_omitted(e, s.tanh_names, s.sigmoid_names))


def _recurrent(program, key: str) -> set[str] | None:
    """What ``key`` reads from other steps: a total's of earlier steps, a delta's of later ones (None: neither)."""
    q = program[key]
    if q.kind not in ("total", "delta") or q.t is None:
        return None
    later = q.kind == "delta"
    reads = {k for d in q.defs for k in program.reads(d)}
    return {k for k in reads if program[k].kind == q.kind and program[k].t is not None
            and (program[k].t > q.t if later else program[k].t < q.t)}


def _implicit(s, r):
    known: dict[str, set[str] | None] = {}

    def drop(n, e):
        if n not in known:
            known[n] = _recurrent(s.program, n) if n in s.program else None
        return rw.drop_recurrent(e, known[n]) if known[n] else e

    kind = s.program[s.key].kind
    mine = _recurrent(s.program, s.key)
    if mine:
        gone = [a for d in s.program[s.key].defs for a in sp.Add.make_args(d)
                if {x.name for x in a.free_symbols} & mine]
        what = "the implicit term" if kind == "total" else "the term through the next step"
        named = f" {gone[0]}" if gone else ""
        yield Variant(f"{what}{named} dropped", own=lambda e: drop(s.key, e))
    yield Variant("the implicit terms dropped at every step", rewrite=drop)


def _swaps(s, r):
    symbols = {x.name: x for e in s.exprs for x in e.free_symbols if x.name in s.program.roles}
    roles = s.program.roles
    for p in sorted(symbols):
        for q in roles:
            if q != p and roles[q] == roles[p] and _alike(p, q):
                swap = {symbols[p]: param(q)}
                yield Variant(f"{q} used in place of {p}", rewrite=lambda n, e, m=swap: e.xreplace(m))


def _alike(p: str, q: str) -> bool:
    """Scalars swap with scalars; a component with the same index of another array, or with a neighbour in its
    own (one index one off: the row or column above or below) or its transpose.

    Examples
    --------
    >>> [_alike("W[1,2]", q) for q in ("W[1,3]", "W[2,1]", "W[3,3]", "U[1,2]", "U[2,1]", "b")]
    [True, True, False, True, False, False]
    """
    pb, _, pi = p.partition("[")
    qb, _, qi = q.partition("[")
    if not pi or not qi:
        return not pi and not qi
    if pb != qb:
        return pi == qi
    a, b = (tuple(map(int, i.rstrip("]").split(","))) for i in (pi, qi))
    return sum(abs(x - y) for x, y in zip(a, b, strict=True)) == 1 or a == b[::-1]


def _off_by_one(s, r):
    program, key = s.program, s.key
    for dt in (-1, 1):
        other = program.shift(key, dt)
        if other is not None:
            yield Variant(f"the value of {other}, one step off", value=r.value(other) if other not in r.fixed
                          else r.fixed[other])
    for d in program[key].defs:
        symbols = {x.name: x for x in d.free_symbols}
        for name in program.reads(d):
            for dt in (-1, 1):
                other = program.shift(name, dt)
                if other is not None and program.index[other] < program.index[key]:
                    swap = {symbols[name]: sp.Symbol(other, real=True)}
                    yield Variant(f"{other} used in place of {name} (one step off)", own=lambda e, m=swap:
                                  e.xreplace(m), top=d)


def _sign(s, r):
    yield Variant("the sign flipped", transform=lambda v: -v)


def _factor(s, r):
    for k in (1, -1, 2, -2):
        word = "10" if abs(k) == 1 else "100"
        yield Variant(f"off by a factor of {word} (the decimal point moved)", transform=lambda v, k=k: v * 10.0**k)


def _sum_product(s, r):
    for d in s.program[s.key].defs:
        for slipped, why in rw.sum_and_product_slips(d):
            yield Variant(f"a slip in one step: {why}", own=lambda e, x=slipped: x, top=d)


def _rounding(s, r):
    places = range(1, max(1, s.written.decimals or 1) + 1)
    names = sorted({x.name for e in s.exprs for x in e.free_symbols if x.name not in s.program.roles},
                   key=lambda n: s.program.index.get(n, -1))
    for d in places:
        for mode, how in ((ROUND_HALF_UP, "rounded"), (ROUND_DOWN, "truncated")):
            for name in names:
                yield Variant(f"{name} {how} to {d} decimals before use",
                              adjust=lambda n, v, x=name, d=d, m=mode: float(rounded(v, d, m)) if n == x else v)
            yield Variant(f"every intermediate value {how} to {d} decimals",
                          adjust=lambda n, v, d=d, m=mode: v if n in s.program.roles else float(rounded(v, d, m)))


def _copied(s, r):
    """A number copied from another line, the nearest first; not from a line computed from this one (whose
    number then follows from the slip, not the other way)."""
    after = s.program.downstream(s.key)
    order = sorted(s.sheet, key=lambda k: (abs(s.program.index[k] - s.program.index[s.key]), s.program.index[k]))
    for other in (k for k in order if k not in after):
        if other != s.key and abs(s.sheet[other] - s.exact[s.key]) > 1e-12:
            yield Variant(f"the value of {other} (copied from another line)", value=s.sheet[other])


def _digits_rules(s, r):
    yield Variant("two adjacent digits swapped", matches=transposed)
    yield Variant("one digit wrong (an arithmetic or copying slip)", matches=one_digit)


def _digits(w: Written, value: float) -> tuple[str, str] | None:
    if not w.readable or w.decimals is None or value != value:
        return None
    mine, right = w.text.strip().translate(str.maketrans("−", "-")), digits_of(value, w.decimals)
    return (mine, right) if len(mine) == len(right) and mine != right else None


def transposed(w: Written, value: float) -> bool:
    """Whether ``w`` is ``value`` (at the written precision) with two adjacent digits swapped."""
    pair = _digits(w, value)
    if pair is None:
        return False
    a, b = pair
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]


def one_digit(w: Written, value: float) -> bool:
    """Whether ``w`` differs from ``value`` (at the written precision) in one digit only."""
    pair = _digits(w, value)
    return pair is not None and sum(x != y for x, y in zip(*pair, strict=True)) == 1


#: the hypotheses, from the most to the least specific
SLIPS = (
    Slip("activation omitted", _activation),
    Slip("tanh' as 1 − tanh", _tanh_prime),
    Slip("σ' as σ", _sigmoid_prime),
    Slip("derivative omitted", _derivative),
    Slip("implicit term dropped", _implicit),
    Slip("param swapped", _swaps),
    Slip("off-by-one step", _off_by_one),
    Slip("sign flip", _sign),
    Slip("factor of 10", _factor),
    Slip("sum or product slip", _sum_product),
    Slip("early rounding", _rounding),
    Slip("copied from another key", _copied),
    Slip("digit slip", _digits_rules),
)
