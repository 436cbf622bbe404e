"""A derivation as a rich tree: the result, each step's equations, their labelled addends and the partials.

Examples
--------
>>> from symbrnn import derive
>>> from symbrnn.cells import elman
>>> from symbrnn.render.doc import to_text
>>> print(to_text(DerivationTree(derive(elman(), T=2, wrt="U")), width=70))
dL/dU = dL_1/dU + dL_2/dU   (elman, T = 2, forward mode)
├── step 1
│   ├── dh_1/dU = ∂h_1/∂U
│   │   └── explicit  ∂h_1/∂U = h_0·(1 - tanh(a_1)²)
│   └── dL_1/dU = ∂L_1/∂h_1·dh_1/dU
│       └── chain  ∂L_1/∂h_1·dh_1/dU
│           └── ∂L_1/∂h_1 = V·(yhat_1 - y_1)
└── step 2
    ├── dh_2/dU = ∂h_2/∂U + ∂h_2/∂h_1·dh_1/dU
    │   ├── explicit  ∂h_2/∂U = h_1·(1 - tanh(a_2)²)
    │   └── implicit  ∂h_2/∂h_1·dh_1/dU
    │       └── ∂h_2/∂h_1 = U·(1 - tanh(a_2)²)
    └── dL_2/dU = ∂L_2/∂h_2·dh_2/dU
        └── chain  ∂L_2/∂h_2·dh_2/dU
            └── ∂L_2/∂h_2 = V·(yhat_2 - y_2)
"""

from __future__ import annotations

from rich.text import Text
from rich.tree import Tree

from ..derive.total import TotalDerivative
from .chains import fold
from .doc import STYLES
from .forms import LEAF_KINDS, RecursiveForm
from .text import number, text

__all__ = ["DerivationTree"]


class DerivationTree:
    """A rich renderable: a :class:`~symbrnn.TotalDerivative` or :class:`~symbrnn.Evaluation` as a tree.

    Every step's totals (forward mode) or deltas and shares (reverse mode) are
    branches; their addends are labelled and coloured (explicit, implicit,
    chain, direct, through ...), and under each addend the partials it uses
    with their expressions. With an evaluation every line ends with its number.

    Parameters
    ----------
    obj : TotalDerivative or Evaluation
    digits : int
        Decimals of the numbers.
    max_steps : int
        For larger T only the first two and the last step are drawn.
    """

    def __init__(self, obj, *, digits: int = 4, max_steps: int = 8):
        self.evaluation = None if isinstance(obj, TotalDerivative) else obj
        self.derivative = obj if isinstance(obj, TotalDerivative) else obj.derivative
        self.digits, self.max_steps = digits, max_steps
        terms = obj.terms
        self._terms = {t.symbol: t for t in terms}
        self._values = {t.symbol: t.value for t in terms} if self.evaluation is not None else {}

    def _num(self, symbol) -> str:
        return f" = {number(self._values[symbol], self.digits)}" if symbol in self._values else ""

    def _numbers(self, expr) -> str:
        """`` = rhs with numbers`` when evaluated and the expression is more than one symbol."""
        if not self._values or expr.is_Symbol or expr.is_Number:
            return ""
        return " = " + text(expr, values=self._values, digits=self.digits)

    def _expr(self, symbol) -> str:
        term = self._terms[symbol]
        return text(fold(self.derivative.cell, term.expr, term.t))

    def _leaf(self, symbol) -> Text:
        return Text(f"{symbol} = {self._expr(symbol)}{self._num(symbol)}")

    def _addend(self, branch: Tree, label: str, expr) -> None:
        style = STYLES.get(label.split()[0], "")
        if expr in self._terms and self._terms[expr].kind in LEAF_KINDS:
            line = Text(label, style=style) + Text(f"  {expr} = {self._expr(expr)}{self._num(expr)}")
            branch.add(line)
            return
        value = ""
        if self._values:
            value = self._numbers(expr) + f" = {number(_product(expr, self._values), self.digits)}"
        node = branch.add(Text(label, style=style) + Text(f"  {text(expr)}{value}"))
        for s in sorted(expr.free_symbols, key=lambda s: s.sort_key()):
            if s in self._terms and self._terms[s].kind in LEAF_KINDS:
                node.add(self._leaf(s))

    def _equation(self, branch: Tree, eq) -> None:
        rhs = " + ".join(text(a.expr) for a in eq.addends) or "0"
        node = branch.add(Text(f"{eq.lhs} = {rhs}{self._num(eq.lhs)}", style=STYLES.get(eq.kind, "")))
        for a in eq.addends:
            self._addend(node, a.label, a.expr)

    def _steps(self, steps: list[int]) -> list[int | None]:
        shown: list[int | None] = list(steps)
        return shown if len(shown) <= self.max_steps else shown[:2] + [None] + shown[-1:]

    def __rich__(self) -> Tree:
        d = self.derivative
        equations = RecursiveForm(d).equations
        result = equations[-1]
        mode = f"({d.cell.name}, T = {d.T}, {d.mode} mode)"
        parts = [text(a.expr) for a in result.addends]
        rhs = " + ".join(parts if len(parts) <= 4 else parts[:2] + ["…"] + parts[-1:])
        tree = Tree(Text(f"d{d.of}/d{d.wrt} = {rhs}{self._num(result.lhs)}   {mode}", style="bold"))
        steps = sorted({eq.t for eq in equations if eq.t is not None}, reverse=d.mode == "reverse")
        shown = self._steps(steps)
        for t in shown:
            if t is None:
                tree.add(Text(f"… {len(steps) - 3} more steps, each like the ones shown", style="dim"))
                continue
            branch = tree.add(Text(f"step {t}" if t else "initial state", style="bold"))
            for eq in equations:
                if eq.t == t and eq is not result:
                    self._equation(branch, eq)
        return tree


def _product(expr, values) -> float:
    """The number of a sum of products of evaluated terms."""
    return float(expr.xreplace({s: values[s] for s in expr.free_symbols if s in values}))
