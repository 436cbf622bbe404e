"""rich output: exact snapshots at a fixed width, no colour (tests/snapshots/*.txt, reviewed by eye).

To regenerate after a deliberate change: SYMBRNN_UPDATE_SNAPSHOTS=1 pytest tests/test_render_rich.py,
then read every changed file before committing it. Trailing spaces are stripped from each line.
"""

import io
import os
from pathlib import Path

import pytest
from cellzoo import elman, elman_values, gated, gated_values
from rich.console import Console

from symbrnn import derive
from symbrnn.render import (
    DerivationTree,
    as_doc,
    delta_table,
    derivation_doc,
    forward_table,
    gradient_table,
    renderable,
    terms_tables,
)
from symbrnn.render.doc import rich_block

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
WIDTH = 100


def render(obj, width: int = WIDTH) -> str:
    """What rich prints, the way the tests of rich render: a StringIO console, no colour."""
    console = Console(file=io.StringIO(), width=width, color_system=None)
    console.print(obj)
    return "\n".join(line.rstrip() for line in console.file.getvalue().splitlines()) + "\n"


def check_snapshot(name: str, text: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("SYMBRNN_UPDATE_SNAPSHOTS"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no snapshot {path}: run with SYMBRNN_UPDATE_SNAPSHOTS=1 and review it by eye"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its snapshot"


def _ev(make, values, T, wrt, mode="forward"):
    return derive(make(), T, wrt=wrt, mode=mode).evaluate(values(T))


def test_cell_elman():
    check_snapshot("cell_elman.txt", render(renderable(elman())))


def test_cell_gated():
    check_snapshot("cell_gated.txt", render(renderable(gated())))


def test_tree_of_a_symbolic_derivation():
    check_snapshot("tree_elman_U_forward.txt", render(renderable(derive(elman(), 3, wrt="U"))))


def test_tree_of_an_evaluation_reverse_mode():
    ev = _ev(elman, elman_values, 3, "U", "reverse")
    check_snapshot("tree_elman_U_reverse_values.txt", render(DerivationTree(ev)))


def test_tree_of_a_gated_evaluation_with_two_states():
    ev = _ev(gated, gated_values, 2, "ug")
    check_snapshot("tree_gated_ug_forward_values.txt", render(DerivationTree(ev, digits=5)))


def test_tree_for_large_T_shows_the_first_and_last_steps():
    d = derive(elman(), 50, wrt="w")
    text = render(DerivationTree(d))
    assert "… 47 more steps, each like the ones shown" in text
    assert "dL/dw = dL_1/dw + dL_2/dw + … + dL_50/dw" in text
    check_snapshot("tree_elman_w_T50.txt", text)


def test_evaluation_renderable_is_the_forward_table_and_the_tree():
    ev = _ev(elman, elman_values, 3, "b")
    check_snapshot("evaluation_elman_b.txt", render(renderable(ev, digits=6)))


def test_tables_elman():
    values = elman_values(3)
    evs = {th: derive(elman(), 3, wrt=th).evaluate(values) for th in elman().names("param")}
    rev = derive(elman(), 3, wrt="U", mode="reverse").evaluate(values)
    blocks = [forward_table(evs["U"]), *terms_tables(evs["U"]), delta_table(rev), gradient_table(evs)]
    check_snapshot("tables_elman.txt", "".join(render(rich_block(b)) for b in blocks))


def test_tables_gated_one_per_state():
    ev = _ev(gated, gated_values, 3, "wc")
    rev = _ev(gated, gated_values, 3, "wc", "reverse")
    tables = terms_tables(ev)
    assert [t.title for t in tables] == ["Terms of dc_t/dwc (forward mode)", "Terms of dh_t/dwc (forward mode)",
                                         "Terms of dL_t/dwc (forward mode)"]
    check_snapshot("tables_gated.txt", "".join(render(rich_block(b)) for b in [*tables, delta_table(rev)]))


def test_derivation_document_with_numbers():
    check_snapshot("derivation_elman_U_values.txt", render(as_doc(_ev(elman, elman_values, 3, "U"))))


def test_derivation_document_reverse_mode_two_states_initial_state():
    d = derive(gated(), 2, wrt="h_0", mode="reverse")
    check_snapshot("derivation_gated_h0_reverse.txt", render(derivation_doc(d)))


def test_derivation_document_for_large_T_says_the_expansion_is_not_built():
    d = derive(elman(), 100, wrt="U")
    text = render(derivation_doc(d))
    assert "has 5050 chain products at T = 100 (more than 64): it is not built" in text
    assert "T = 100: the equations of each step are not written out" in text
    check_snapshot("derivation_elman_U_T100.txt", text)


@pytest.mark.parametrize("digits", [2, 6])
def test_digits_are_the_users(digits):
    ev = _ev(elman, elman_values, 3, "U")
    text = render(rich_block(forward_table(ev, digits=digits)))
    assert ("0.60" if digits == 2 else "0.604368") in text
    assert ("0.604" not in text) if digits == 2 else ("0.6044 " not in text)


def test_output_does_not_depend_on_the_hash_seed():
    import subprocess
    import sys

    code = ("import sys; sys.path.insert(0, 'tests'); from cellzoo import gated, gated_values;"
            "from symbrnn import derive; from symbrnn.render import to_markdown;"
            "print(to_markdown(derive(gated(), 2, wrt='ug', mode='reverse').evaluate(gated_values(2))))")
    root = Path(__file__).resolve().parents[1]
    outs = {subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("0", "1", "12345")}
    assert len(outs) == 1


def test_an_incomplete_cell_prints_as_text_and_has_no_latex():
    from symbrnn import Cell
    from symbrnn.render import repr_latex

    cell = Cell("draft")
    h = cell.state("h")
    cell.update(h, h.prev / 2)
    assert render(renderable(cell)) == str(cell) + "\n"
    assert repr_latex(cell) is None


def test_the_core_never_imports_rich():
    import subprocess
    import sys

    code = ("import sys; from symbrnn import derive; from symbrnn.cells import elman;"
            "d = derive(elman(), 2, wrt='U'); d.evaluate({'w': .5, 'U': .5, 'V': .5, 'b': .2, 'c': .1,"
            " 'x': [1, .8], 'y': [.5, .6]}); print(d, d.terms[0]); assert 'rich' not in sys.modules, 'rich'")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


def _hooked_objects():
    d = derive(elman(), 2, wrt="U")
    return {"cell": elman(), "derivation": d, "evaluation": d.evaluate(elman_values(2))}


@pytest.mark.parametrize("what", ["cell", "derivation", "evaluation"])
def test_rich_and_jupyter_hooks_delegate_to_the_render_package(what):
    """Once the core's __rich__ / _repr_latex_ one-liners are in place, they draw what render draws."""
    from symbrnn.render import repr_latex

    obj = _hooked_objects()[what]
    if not hasattr(type(obj), "__rich__") or not hasattr(type(obj), "_repr_latex_"):
        pytest.skip(f"{type(obj).__name__} has no __rich__/_repr_latex_ hook yet")
    assert render(obj) == render(renderable(obj))
    assert obj._repr_latex_() == repr_latex(obj)
