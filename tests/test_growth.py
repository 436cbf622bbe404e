"""The derivation's symbolic size grows linearly in T (counted, not timed)."""

import pytest
import sympy as sp
from cellzoo import ZOO

from symbrnn import derive, unroll


def size(d) -> int:
    """Operations in every term's expression, plus one per named term."""
    return sum(sp.count_ops(term.expr) + 1 for term in d.terms)


@pytest.mark.parametrize("mode", ["forward", "reverse"])
@pytest.mark.parametrize("name", ["elman", "gated"])
def test_derivation_size_is_linear_in_T(name, mode):
    cell = ZOO[name][0]()
    wrt = cell.names("param")[1]
    s10, s100, s1000 = (size(derive(cell, T, wrt=wrt, mode=mode)) for T in (10, 100, 1000))
    per_step = (s100 - s10) / 90
    assert per_step > 0
    # exactly affine in T: every step past the first adds the same number of operations
    assert s1000 - s100 == 900 * per_step


def test_unrolled_graph_is_linear_in_T():
    cell = ZOO["gated"][0]()
    n = {T: unroll(cell, T).graph.number_of_nodes() for T in (10, 100, 1000)}
    assert n[1000] - n[100] == 10 * (n[100] - n[10])


def test_naive_unrolling_is_what_the_engine_avoids():
    """The expanded closed form grows much faster than the derivation (why the engine exists)."""
    cell = ZOO["elman"][0]()
    expanded = [sp.count_ops(derive(cell, T, wrt="U").expand()) for T in (2, 4, 8)]
    derived = [size(derive(cell, T, wrt="U")) for T in (2, 4, 8)]
    assert expanded[2] / expanded[1] > 2 * derived[2] / derived[1]
