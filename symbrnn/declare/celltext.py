"""A cell as plain text: its data, params and equations in step order (``str(cell)``).

symbrnn.render draws the same cell with rich, LaTeX and Markdown; this is the
text a ``print`` or a log shows, and it works on a cell still being declared.

Examples
--------
>>> from symbrnn.cells import elman
>>> cell = elman()
>>> print(cell_text(cell, cell.order()))
cell 'elman'
  inputs: x
  targets: y
  params: w, U, V, b, c
  a_t = U*h_{t-1} + b + w*x_t
  h_t = tanh(a_t)   (h_0 = 0)
  yhat_t = V*h_t + c
  L_t = (-y_t + yhat_t)**2/2
"""

from __future__ import annotations

from ..core.kinds import INPUT, PARAM, STATE, TARGET
from .tensor import Tensor, shape_text

__all__ = ["cell_text"]


def cell_text(cell, order) -> str:
    """The cell's equations, one per computed quantity, in step ``order`` (an update not given yet is ``?``).

    ``str(cell)`` passes the order of a cell still being declared (not validated).
    """
    lines = [f"cell {cell.name!r}"]
    for kind in (INPUT, TARGET, PARAM):
        if cell.names(kind):
            lines.append(f"  {kind}s: {', '.join(_with_shape(cell, n) for n in cell.names(kind))}")
    for n in order:
        e = cell.expr(n)
        if e is None:
            lines.append(f"  {n}_t = ?   (no update yet)")
            continue
        init = cell.init(n) if cell.kind(n) == STATE else None
        init = init.name if isinstance(init, Tensor) and init.name else init  # a param: its name
        note = f"   ({n}_0 = {init})" if cell.kind(n) == STATE else ""
        lines.append(f"  {_with_shape(cell, n, '_t')} = {e}{note}")
    return "\n".join(lines)


def _with_shape(cell, name: str, suffix: str = "") -> str:
    shape = cell.shape(name)
    return f"{name}{suffix}" + (f" {shape_text(shape)}" if shape else "")
