"""The text report of ``symbrnn eval``: forward values, every term's number, the gradients, at the terminal's width.

Lines longer than the width are wrapped at spaces, their continuation
indented under their start; an array's rows are aligned under its first.
"""

from __future__ import annotations

import textwrap

import numpy as np

from .inputs import columns, fmt

__all__ = ["pack", "write_report"]


def pack(items: list[str], width: int, indent: str) -> list[str]:
    """``items`` two spaces apart, as many to a line as fit in ``width``; later lines start with ``indent``.

    Examples
    --------
    >>> pack(["t=1", "x=0.5", "h=0.25", "L=0.01"], 14, "    ")
    ['t=1  x=0.5', '    h=0.25', '    L=0.01']
    """
    lines, line = [], ""
    for item in items:
        if line and len(line) + 2 + len(item) > width:
            lines.append(line)
            line = indent + item
        else:
            line = item if not line else f"{line}  {item}"
    return lines + [line] if line else lines


def _math(e) -> str:
    """A term in the notation of every command: · for products, ² for powers, ⊙ and ᵀ for arrays."""
    from ..declare.tensor import Tensor
    from ..render.arrays import tensor_text
    from ..render.text import text

    return tensor_text(e) if isinstance(e, Tensor) else text(e)


def _wrapped(text: str, width: int, indent: int) -> str:
    return "\n".join(textwrap.wrap(text, width, subsequent_indent=" " * indent, break_long_words=False,
                                   break_on_hyphens=False)) or text


def write_report(out, cell, T: int, mode: str, trace: dict, loss, evaluations, grads: dict, *, digits: int) -> None:
    """Write the eval report of ``cell`` to ``out``."""
    width = columns(out)
    out.write(f"# cell {cell.name!r}, T = {T}, {mode} mode\n")
    out.write("forward values:\n")
    for t in range(1, T + 1):
        items = [f"t={t}"] + [f"{n}={fmt(column[t], digits, width=width)}" for n, column in trace.items()]
        out.write("".join(f"  {line}\n" for line in pack(items, width - 2, " " * (len(f"t={t}") + 2))))
    out.write(f"loss L = {fmt(loss, digits)}\n")
    for ev in evaluations:
        out.write(f"\nterms of d{ev.derivative.of}/d{ev.derivative.wrt}:\n")
        for t in ev.terms:
            head = _wrapped(f"  {t.kind:>12}  {_math(t.symbol)} = {_math(t.expr)} =", width, 16)
            value = fmt(t.value, digits, 16, width=width)
            last = head.rsplit("\n", 1)[-1]
            if np.ndim(t.value) > 1 or len(last) + 1 + len(value) > width:  # the number on lines of its own
                out.write(f"{head}\n{' ' * 16}{value}\n")
            else:
                out.write(f"{head} {value}\n")
    out.write("\ngradients:\n")
    for w, g in grads.items():
        label = f"  dL/d{w} = "
        out.write(f"{label}{fmt(g, digits, len(label), width=width)}\n")
