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


class _SympyObjects:
    """Counts the sympy objects created inside the block (every one goes through Basic.__new__)."""

    def __enter__(self):
        from sympy.core.basic import Basic
        from sympy.core.cache import clear_cache

        clear_cache()  # so that nothing made before is reused from sympy's cache
        self._basic, self._new, self.count = Basic, Basic.__new__, 0

        def counting(cls, *args):
            self.count += 1
            return self._new(cls, *args)

        Basic.__new__ = counting
        return self

    def __exit__(self, *exc):
        self._basic.__new__ = self._new


def _lstm_values(H, T=3):
    import numpy as np

    rng = np.random.default_rng(0)
    return {"W_ih": rng.normal(size=(4 * H, 8)) * .1, "W_hh": rng.normal(size=(4 * H, H)) * .1,
            "b_ih": np.zeros(4 * H), "b_hh": np.zeros(4 * H),
            "x": rng.normal(size=(T, 8)), "y": rng.normal(size=(T, H))}


def test_declaring_and_deriving_an_lstm_creates_the_same_sympy_objects_at_any_hidden_size():
    from symbrnn import derive
    from symbrnn.cells import lstm

    assert derive(lstm(8, 4), 3, wrt="W_hh").terms  # what is made once per process (derivative rules) is made here
    counts = {}
    for H in (16, 512):
        with _SympyObjects() as made:
            terms = derive(lstm(8, H), 3, wrt="W_hh").terms  # declared, then derived at the matrix level
        assert terms[-1].shape == (4 * H, H)
        counts[H] = made.count
    assert counts[16] == counts[512]


def test_the_array_program_of_an_lstm_is_built_from_the_same_sympy_objects_at_any_hidden_size():
    from symbrnn import gradients
    from symbrnn.cells import lstm

    gradients(lstm(8, 32), 3, _lstm_values(32))  # what is made once per process (derivative rules) is made here
    counts = {}
    for H in (16, 128):
        cell, values = lstm(8, H), _lstm_values(H)
        with _SympyObjects() as made:
            grads = gradients(cell, 3, values)  # the array program: written, compiled and run
        assert grads["W_hh"].shape == (4 * H, H)
        counts[H] = made.count
    assert counts[16] == counts[128]
