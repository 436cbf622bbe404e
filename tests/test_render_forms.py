"""Closed forms against independent oracles.

- The generic-T form (Sum/Product over indexed quantities, T a symbol),
  specialised to T = 1..4, equals the engine's unrolled derivation: as a
  polynomial in the engine's partial symbols (symbolic equality), and, with
  each partial replaced by its expression, the engine's closed form and for
  the Elman cell sympy.diff of the unrolled loss (what the engine never does).
- The fully expanded form, built from the recursion, equals the engine's
  closed form, in both modes, and has the number of products count_products says.
- The recursion at a generic step t, instantiated at t = 3, is the engine's
  equation of step 3.
- Each step partial is the chain of the cell's local partials.
"""

import pytest
import sympy as sp
from cellzoo import ZOO, elman, gated, learned_init

from symbrnn import derive, unroll
from symbrnn.core.symbols import Named, Step
from symbrnn.derive.partials import CellPartials
from symbrnn.render import (
    ExpandedForm,
    ExpansionTooLarge,
    GenericForm,
    RecursiveForm,
    concrete,
    count_products,
    generic_recursion,
)
from symbrnn.render.chains import fold, local_chain
from symbrnn.render.forms import leaves

MODES = ("forward", "reverse")
STEPS = (1, 2, 3, 4)


def _wrts(cell):
    return list(cell.names("param")) + [f"{s}_0" for s in cell.names("state")]


def _cases(make, wrts=None):
    cell = make()
    for wrt in wrts or _wrts(cell):
        for mode in MODES:
            yield pytest.param(make, wrt, mode, id=f"{cell.name}-{wrt}-{mode}")


GENERIC_CASES = [*_cases(elman), *_cases(gated), *_cases(learned_init, ["u", "h0", "lam", "h_0"])]


@pytest.mark.parametrize("make, wrt, mode", GENERIC_CASES)
def test_generic_form_specialises_to_the_unrolled_derivation(make, wrt, mode):
    cell = make()
    g = GenericForm(cell, wrt, mode=mode)
    assert g.T in g.expr.free_symbols or g.expr == 0
    for T in STEPS:
        engine = ExpandedForm(derive(cell, T, wrt=wrt, mode=mode), max_products=10_000).expr
        assert sp.expand(g.unrolled(T) - engine) == 0, (T, g.unrolled(T), engine)


@pytest.mark.parametrize("T", STEPS)
@pytest.mark.parametrize("wrt", ["w", "U", "V", "b", "c", "h_0"])
def test_generic_form_of_elman_equals_sympy_diff_of_the_unrolled_loss(T, wrt):
    cell = elman()
    u = unroll(cell, T)
    theta = derive(cell, 1, wrt=wrt).wrt
    keep = isinstance(theta, Step)
    oracle = sp.diff(u.expanded(u.loss, keep_initial=keep), theta)
    for mode in MODES:
        mine = u.expanded(GenericForm(cell, wrt, mode=mode).unrolled(T, concrete=True), keep_initial=keep)
        assert sp.expand(mine - oracle) == 0, (mode, mine, oracle)


@pytest.mark.parametrize("T", (1, 2))
@pytest.mark.parametrize("wrt", ["ug", "wc", "h_0"])
def test_generic_form_of_gated_equals_sympy_diff_of_the_unrolled_loss(T, wrt):
    cell = gated()
    u = unroll(cell, T)
    theta = derive(cell, 1, wrt=wrt).wrt
    keep = isinstance(theta, Step)
    oracle = sp.diff(u.expanded(u.loss, keep_initial=keep), theta)
    mine = u.expanded(GenericForm(cell, wrt).unrolled(T, concrete=True), keep_initial=keep)
    assert sp.expand(mine - oracle) == 0


@pytest.mark.parametrize("T", (3, 4))
@pytest.mark.parametrize("wrt", ["ug", "uo", "c_0"])
def test_generic_form_of_gated_uses_the_engines_partials_at_every_step(T, wrt):
    """Concrete = abstract with each partial symbol replaced by the engine's partial (matrix entries)."""
    cell = gated()
    g = GenericForm(cell, wrt)
    env = leaves(derive(cell, T, wrt=wrt))
    for q in sorted(g.at(T).atoms(sp.Indexed), key=sp.default_sort_key):
        abstract, concrete_entry = g._entry(q, False), g._entry(q, True)
        assert abstract.shape == concrete_entry.shape
        for a, c in zip(abstract, concrete_entry, strict=True):
            assert all(s in env for s in a.free_symbols if isinstance(s, Named)), a
            assert sp.expand(a.xreplace(env) - c) == 0, (q, a, c)


def test_generic_form_prints_as_a_hand_derivation():
    assert str(GenericForm(elman(), "U")) == (
        "dL/dU = Σ_{t=1..T} ∂L_t/∂h_t·Σ_{k=1..t} (Π_{j=k+1..t} ∂h_j/∂h_{j-1})·∂h_k/∂U")
    assert str(GenericForm(elman(), "U", mode="reverse")) == (
        "dL/dU = Σ_{k=1..T} (Σ_{t=k..T} ∂L_t/∂h_t·(Π_{j=k+1..t} ∂h_j/∂h_{j-1}))·∂h_k/∂U")
    assert str(GenericForm(elman(), "V")) == "dL/dV = Σ_{t=1..T} ∂L_t/∂V"
    g = GenericForm(gated(), "ug")
    assert str(g) == "dL/dug = Σ_{t=1..T} ∂L_t/∂s_t·Σ_{k=1..t} (Π_{i=0..t-k-1} ∂s_{t-i}/∂s_{t-i-1})·∂s_k/∂ug"
    assert g.legend == (("s_t", "(c_t, h_t)"),)
    assert g.latex() == (
        r"\sum_{t=1}^{T} \frac{\partial L_{t}}{\partial s_{t}} \sum_{k=1}^{t} \left(\prod_{i=0}^{t - k - 1}"
        r" \frac{\partial s_{t - i}}{\partial s_{t - i - 1}}\right) \frac{\partial s_{k}}{\partial ug}")


@pytest.mark.parametrize("name", list(ZOO))
@pytest.mark.parametrize("mode", MODES)
def test_expanded_form_equals_the_engines_closed_form(name, mode):
    cell = ZOO[name][0]()
    T = 2 if name == "gated" else 3  # the gated closed form at T = 3 takes minutes to expand
    for wrt in _wrts(cell):
        d = derive(cell, T, wrt=wrt, mode=mode)
        e = ExpandedForm(d, max_products=10_000)
        assert len(e.products) == count_products(d)
        assert sp.expand(concrete(d, e.expr) - d.expand(forward_values=False)) == 0, wrt
        other = ExpandedForm(derive(cell, T, wrt=wrt, mode=MODES[mode == "forward"]), max_products=10_000)
        assert sp.expand(e.expr - other.expr) == 0  # both modes: the same sum of paths


def test_expanded_form_is_in_hand_order_and_built_only_when_small():
    d = derive(elman(), 3, wrt="U")
    assert [str(p) for p in ExpandedForm(d).products] == [
        "∂L_1/∂h_1·∂h_1/∂U",
        "∂L_2/∂h_2·∂h_2/∂U",
        "∂L_2/∂h_2·∂h_2/∂h_1·∂h_1/∂U",
        "∂L_3/∂h_3·∂h_3/∂U",
        "∂L_3/∂h_3·∂h_3/∂h_2·∂h_2/∂U",
        "∂L_3/∂h_3·∂h_3/∂h_2·∂h_2/∂h_1·∂h_1/∂U",
    ]
    big = derive(elman(), 200, wrt="U")
    assert count_products(big) == 200 * 201 // 2  # counted on the recursion, nothing expanded
    with pytest.raises(ExpansionTooLarge, match="20100 products at T=200"):
        ExpandedForm(big)


@pytest.mark.parametrize("mode", MODES)
def test_recursive_form_equations_are_the_engines_terms(mode):
    for name in ZOO:
        d = derive(ZOO[name][0](), 3, wrt=ZOO[name][0]().names("param")[1], mode=mode)
        by_symbol = {t.symbol: t for t in d.terms}
        for eq in RecursiveForm(d):
            assert sp.expand(eq.rhs - by_symbol[eq.lhs].expr) == 0, eq


def test_recursive_form_labels_explicit_and_implicit_terms():
    d = derive(elman(), 3, wrt="U")
    eq = [e for e in RecursiveForm(d) if str(e.lhs) == "dh_3/dU"][0]
    assert [(a.label, str(a.expr)) for a in eq.addends] == [
        ("explicit", "∂h_3/∂U"), ("implicit", "∂h_3/∂h_2*dh_2/dU")]
    r = derive(elman(), 3, wrt="U", mode="reverse")
    eq = [e for e in RecursiveForm(r) if str(e.lhs) == "δh_2"][0]
    assert [a.label for a in eq.addends] == ["direct", "through h_3"]


def _at_step(expr, t):
    def rename(s):
        name = s.name.replace("_{t-1}", f"_{t - 1}").replace("_{t+1}", f"_{t + 1}")
        name = name.replace("[t]", f"[{t}]").replace("_t", f"_{t}")
        return Named(name, real=True)
    return expr.xreplace({s: rename(s) for s in expr.free_symbols if isinstance(s, Named)})


@pytest.mark.parametrize("name", list(ZOO))
@pytest.mark.parametrize("mode", MODES)
def test_generic_recursion_at_step_3_is_the_engines_step_3(name, mode):
    cell = ZOO[name][0]()
    for wrt in _wrts(cell):
        d = derive(cell, 4, wrt=wrt, mode=mode)
        by_symbol = {t.symbol: t for t in d.terms}
        constants = {t.symbol: t.ref for t in d.terms if t.ref != t.symbol}  # the engine inlines zeros
        checked = 0
        for eq in generic_recursion(d):
            if eq.kind not in ("total", "delta", "contribution") or eq.t == 0:
                continue
            lhs = _at_step(eq.lhs, 3)
            assert lhs in by_symbol, lhs
            mine = _at_step(eq.rhs, 3).xreplace(constants)
            assert sp.expand(mine - by_symbol[lhs].expr) == 0, (wrt, eq)
            checked += 1
        assert checked >= 1


@pytest.mark.parametrize("name", list(ZOO))
def test_step_partials_are_chains_of_local_partials(name):
    P = CellPartials(ZOO[name][0]())
    params = [P.cell.symbol(p) for p in P.cell.names("param")]
    for v in P.levels():
        for z in (*P.frontier(v), *params):
            chain = local_chain(P, v, z)
            assert sp.expand(chain.concrete - P.partial(v, z)) == 0, (v, z)


def test_fold_writes_gates_as_their_own_output_and_keeps_the_value():
    cell = gated()
    P = CellPartials(cell)
    e = P.partial("c", cell.symbol("ug"))
    folded = fold(cell, e)
    assert str(folded) == "g_t*h_{t-1}*(1 - g_t)*(c_{t-1} - cand_t)"
    defs = {cell.symbol(n): cell.expr(n) for n in ("g", "cand")}
    assert sp.expand(folded.xreplace(defs) - e.xreplace(defs)) == 0
