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


def _own_lines(fn, packages=("derive", "render")) -> int:
    """Lines executed in symbrnn's own ``packages`` while ``fn`` runs (every loop pass counts): a count, not a time.

    sympy's lines are left out: its sorts call the symbols' sort keys once per
    comparison (n log n), and its bounded cache makes its counts depend on
    what was built before.
    """
    import os
    import sys

    import symbrnn

    roots = tuple(os.path.join(os.path.dirname(symbrnn.__file__), p) + os.sep for p in packages)
    count = 0

    def local(frame, event, arg):
        nonlocal count
        if event == "line":
            count += 1
        return local

    def calls(frame, event, arg):
        return local if frame.f_code.co_filename.startswith(roots) else None

    sys.settrace(calls)
    try:
        fn()
    finally:
        sys.settrace(None)
    return count


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_writing_the_recursive_form_and_looking_terms_up_is_linear_in_T(mode):
    """Each step's lookups are dict accesses: the work per step does not grow with T."""
    from symbrnn.render.forms import RecursiveForm

    cell = ZOO["elman"][0]()
    calls = {}
    for T in (100, 200, 400):
        d = derive(cell, T, wrt="U", mode=mode)
        assert d.terms  # derived before counting: only the lookups and the form are counted

        def work(d=d, T=T):
            RecursiveForm(d)
            for t in range(1, T + 1):
                d.step(t)

        calls[T] = _own_lines(work)
    # linear: 200 more steps cost twice the lines 100 more steps cost (within 5%), where a
    # scan of the whole term list per step would make it four times
    first, second = calls[200] - calls[100], calls[400] - calls[200]  # 100 and 200 steps more
    assert first > 0
    assert 1.9 < second / first < 2.1, calls


def _declare_chain(N: int):
    """A cell of N nodes in a chain and N params: n_i = w * n_{i-1}, one state and a loss."""
    from symbrnn import Cell

    cell = Cell("chain")
    x, w = cell.input("x"), cell.param("w")
    prev = x
    for i in range(N):
        prev = cell.node(f"n{i}", w * prev)
    cell.params(" ".join(f"p{i}" for i in range(N)))
    h = cell.state("h")
    cell.update(h, sp.tanh(prev + h.prev))
    cell.loss(h**2)
    return cell


def test_declaring_n_nodes_and_n_params_does_not_rebuild_the_index_or_copy_the_graph(monkeypatch):
    import symbrnn.declare.cell as cell_module
    from symbrnn.declare.nameindex import NameIndex

    made = {"index": 0, "instant graph": 0}

    class CountedIndex(NameIndex):
        def __init__(self, nodes=()):
            made["index"] += 1
            super().__init__(nodes)

    def counted_instant_graph(graph):
        made["instant graph"] += 1
        return instant_graph(graph)

    instant_graph = cell_module.instant_graph
    monkeypatch.setattr(cell_module, "NameIndex", CountedIndex)
    monkeypatch.setattr(cell_module, "instant_graph", counted_instant_graph)
    counts = {}
    for N in (10, 1000):
        made.update({"index": 0, "instant graph": 0})
        _declare_chain(N)
        counts[N] = dict(made)
    # the same few indexes (the empty one, the first lookup's) at any N: none per declaration,
    # and no copy of the graph for a loop check of a new node
    assert counts[10] == counts[1000]
    assert counts[1000]["index"] <= 2 and counts[1000]["instant graph"] == 0


def test_declaring_is_linear_in_the_number_of_quantities():
    lines = {N: _own_lines(lambda N=N: _declare_chain(N), packages=("declare", "core")) for N in (100, 200, 400)}
    first, second = lines[200] - lines[100], lines[400] - lines[200]
    assert 1.9 < second / first < 2.1, lines


def test_a_loop_closed_by_an_update_is_still_refused_with_its_path():
    from symbrnn import AlgebraicLoopError, Cell

    cell = Cell("loop")
    x = cell.input("x")
    h = cell.state("h")
    a = cell.node("a", x + h)  # reads h at the same step: fine until h reads a
    with pytest.raises(AlgebraicLoopError, match="a -> h -> a"):
        cell.update(h, sp.tanh(a))
    cell.update(h, sp.tanh(x + h.prev))  # the refused update left the cell as it was: h still takes one
    cell.loss(h**2 + a)
    cell.validate()


def _softmax_file(H: int) -> str:
    return f"""name = "sm"
[inputs]
x = {H}
[targets]
y = {{ shape = {H}, distribution = "one_hot" }}
[params]
W = [{H}, {H}]
b = {H}
[states]
h = {{ shape = {H}, init = 0, update = "tanh(W @ x + b + h.prev)" }}
[nodes]
p = "softmax(h)"
[loss]
L = "-(y * log(p)).sum()"
"""


def test_a_cell_file_is_loaded_and_derived_from_the_same_sympy_objects_at_any_size():
    """A file's graph is checked by the names its tensors read, not by building their H² components (a softmax
    over 256 components took a minute to load, in sympy's tanh of a 257-term sum)."""
    from symbrnn.declare.spec import load_cell_text

    assert derive(load_cell_text(_softmax_file(4)), 3, wrt="W").terms
    counts = {}
    for H in (16, 256):
        with _SympyObjects() as made:
            terms = derive(load_cell_text(_softmax_file(H)), 3, wrt="W").terms
        assert terms[-1].shape == (H, H)
        counts[H] = made.count
    assert counts[16] == counts[256]
