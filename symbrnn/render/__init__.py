"""Rendering: closed forms, rich renderables, LaTeX and Markdown, worked solutions.

The core returns objects and never prints; this package draws them.

- Closed forms of a derivation: :class:`RecursiveForm`, :class:`ExpandedForm`
  (fully expanded, built on request from the recursion), :func:`concrete`,
  :func:`generic_recursion` (any step t) and :class:`GenericForm` (T a
  symbol: Sum and Product over indexed quantities).
- rich renderables: :func:`renderable` (what ``__rich__`` of a cell,
  derivation or evaluation returns), :class:`DerivationTree`, the tables of
  :mod:`.tables`, and every :class:`Doc`.
- Export: :func:`to_markdown`, :func:`to_latex` (and :func:`repr_latex` for
  ``_repr_latex_`` in Jupyter).
- :class:`WorkedSolution`: the whole derivation with numbers, with the update
  by :class:`SGD` or :class:`Adam`.
- :func:`to_dot`: the unrolled graph as Graphviz DOT with the paths of the
  explicit and implicit terms marked; :func:`render_dot` draws it (SVG, PNG).
- :func:`progress_bar`: a transient rich progress bar for derivations that
  take more than a second (terminals only).

Examples
--------
>>> from symbrnn import derive
>>> from symbrnn.cells import elman
>>> d = derive(elman(), T=3, wrt="U")
>>> print(GenericForm(d.cell, d.wrt))
dL/dU = Σ_{t=1..T} ∂L_t/∂h_t·Σ_{k=1..t} (Π_{j=k+1..t} ∂h_j/∂h_{j-1})·∂h_k/∂U
>>> print(to_text(renderable(d), width=80).splitlines()[0])
dL/dU = dL_1/dU + dL_2/dU + dL_3/dU   (elman, T = 3, forward mode)
>>> to_latex(d).startswith("\\\\section*")
True
"""

from __future__ import annotations

from rich.console import Group
from rich.text import Text

from ..analysis.flow import Flow
from ..checking.report import Report
from ..core import display
from ..core.errors import CellError
from ..declare.cell import Cell
from ..derive.matrix.total import MatrixDerivative
from ..derive.total import TotalDerivative
from ..numeric.evaluate import Evaluation
from ..numeric.matrix import MatrixEvaluation
from .cellview import cell_doc
from .checking import report_doc, report_latex, report_renderable
from .derivation import derivation_doc
from .doc import Doc, Equations, M, Paragraph, Row, Section, Table, draw, rich_block, terminal, to_text
from .dot import marked_edges, render_dot, to_dot
from .flow import flow_doc, flow_latex, flow_renderable
from .forms import ChainProduct, ExpandedForm, ExpansionTooLarge, RecursiveForm, concrete, count_products
from .generic import GenericForm
from .latex import doc_latex, document, math_block
from .markdown import doc_markdown
from .matrix import matrix_doc
from .optimizers import SGD, Adam, AdamState
from .progress import progress_bar
from .recursion import generic_recursion
from .solution import WorkedSolution
from .tables import delta_table, forward_table, gradient_table, terms_tables
from .tree import DerivationTree

__all__ = [
    "SGD",
    "Adam",
    "AdamState",
    "ChainProduct",
    "DerivationTree",
    "Doc",
    "Equations",
    "ExpandedForm",
    "ExpansionTooLarge",
    "GenericForm",
    "M",
    "Paragraph",
    "RecursiveForm",
    "Row",
    "Section",
    "Table",
    "WorkedSolution",
    "as_doc",
    "concrete",
    "count_products",
    "delta_table",
    "draw",
    "evaluation_doc",
    "flow_doc",
    "flow_renderable",
    "forward_table",
    "generic_recursion",
    "gradient_table",
    "marked_edges",
    "matrix_doc",
    "progress_bar",
    "render_dot",
    "renderable",
    "report_doc",
    "report_renderable",
    "repr_latex",
    "terminal",
    "terms_tables",
    "to_dot",
    "to_latex",
    "to_markdown",
    "to_text",
]


def evaluation_doc(ev: Evaluation, **options) -> Doc:
    """A derivation with every number: :func:`derivation_doc` plus the forward and term tables.

    Examples
    --------
    >>> from symbrnn import derive
    >>> from symbrnn.cells import elman
    >>> values = {"w": .5, "U": .5, "V": .5, "b": .2, "c": .1, "x": [1, .8, .6], "y": [.5, .6, .7]}
    >>> doc = evaluation_doc(derive(elman(), T=3, wrt="U").evaluate(values))
    >>> doc.sections[-1].title
    'Tables'
    """
    digits = options.get("digits", 4)
    base = derivation_doc(ev.derivative, evaluation=ev, **options)
    tables = [forward_table(ev, digits=digits)]
    tables += terms_tables(ev, digits=digits) if ev.mode == "forward" else [delta_table(ev, digits=digits)]
    return Doc(base.title, base.sections + (Section("Tables", tuple(tables)),))


def as_doc(obj, **options) -> Doc:
    """The :class:`Doc` of a cell, derivation, evaluation or worked solution (a Doc is returned as is).

    ``options`` go to :func:`~symbrnn.render.derivation.derivation_doc` (digits, max_steps, ...).
    """
    if isinstance(obj, Doc):
        return obj
    if isinstance(obj, WorkedSolution):
        return obj.doc
    if isinstance(obj, Cell):
        return cell_doc(obj)
    if isinstance(obj, TotalDerivative):
        return derivation_doc(obj, **options)
    if isinstance(obj, Evaluation):
        return evaluation_doc(obj, **options)
    if isinstance(obj, MatrixDerivative):
        return matrix_doc(obj, **options)
    if isinstance(obj, MatrixEvaluation):
        return matrix_doc(obj.derivative, evaluation=obj, **options)
    if isinstance(obj, Flow):
        return flow_doc(obj, digits=options.get("digits", 4))
    if isinstance(obj, Report):
        return report_doc(obj)
    raise TypeError(f"cannot render {type(obj).__name__}: give a Cell, TotalDerivative, Evaluation or WorkedSolution")


def renderable(obj, *, digits: int = 4):
    """The rich renderable of a cell (its equations), a derivation (its tree), an evaluation (the
    forward table and the tree with numbers) or a worked solution. ``__rich__`` hooks return this.

    A cell that is not complete yet (no loss, a state without update) prints as ``str(cell)``.
    """
    if isinstance(obj, Cell) and not _complete(obj):
        return Text(str(obj))
    if isinstance(obj, TotalDerivative):
        return DerivationTree(obj, digits=digits)
    if isinstance(obj, Evaluation):
        return Group(rich_block(forward_table(obj, digits=digits)), DerivationTree(obj, digits=digits))
    if isinstance(obj, Flow):
        return flow_renderable(obj, digits=digits)
    if isinstance(obj, Report):
        return report_renderable(obj)
    return as_doc(obj, digits=digits)


def to_markdown(obj, **options) -> str:
    """Markdown (with ``$...$`` mathematics) of a cell, derivation, evaluation or worked solution.

    Examples
    --------
    >>> from symbrnn.cells import elman
    >>> print(to_markdown(elman()).splitlines()[0])
    # cell 'elman'
    """
    return doc_markdown(as_doc(obj, **options))


def to_latex(obj, *, standalone: bool = False, **options) -> str:
    """LaTeX of a cell, derivation, evaluation or worked solution; a whole document with ``standalone``."""
    body = doc_latex(as_doc(obj, **options))
    return document(body) if standalone else body


def _complete(cell: Cell) -> bool:
    try:
        cell.validate()
    except CellError:
        return False
    return True


def repr_latex(obj, *, digits: int = 4, max_steps: int = 6) -> str | None:
    """One ``$$\\begin{aligned}...\\end{aligned}$$`` block, for ``_repr_latex_`` in Jupyter.

    A cell shows its equations; a derivation its recursion, the step partials
    in closed form (∂h_t/∂U = h_{t-1}·(1 − tanh(a_t)²)), each step's
    equations (for T up to ``max_steps``) and the generic-T form; an
    evaluation the same with numbers; a worked solution each section's
    equations under its title. None for a cell that is not complete.

    Examples
    --------
    >>> from symbrnn.cells import elman
    >>> print(repr_latex(elman()).splitlines()[2])
    {a}_{t} &= U {h}_{t-1} + b + w {x}_{t} \\\\
    """
    if isinstance(obj, Cell):
        if not _complete(obj):
            return None  # Jupyter then shows the text repr
        rows = cell_doc(obj).sections[1].blocks[0].rows
    elif isinstance(obj, (TotalDerivative, Evaluation, MatrixDerivative, MatrixEvaluation)):
        doc = as_doc(obj, digits=digits, max_steps=max_steps, max_products=0)
        rows = ()
        for section in doc.sections:
            if section.title in ("Recursion (every step t)", "Step partials", "Per step", "Generic T"):
                rows += tuple(r for b in section.blocks if isinstance(b, Equations) for r in b.rows)
    elif isinstance(obj, WorkedSolution):
        return obj._repr_latex_()
    else:
        raise TypeError(f"no LaTeX representation for {type(obj).__name__}")
    return "$$\n" + math_block(rows) + "\n$$"



# what __rich__ and _repr_latex_ of the core's objects draw
for _cls in (Cell, TotalDerivative, Evaluation, MatrixDerivative, MatrixEvaluation):
    display.register(_cls, rich=renderable, latex=repr_latex)
del _cls
display.register(Flow, rich=flow_renderable, latex=flow_latex)
display.register(Report, rich=report_renderable, latex=report_latex)
