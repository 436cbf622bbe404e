"""CompiledCell: a cell compiled to numeric code, independent of T (step kernels and generated programs).

Examples
--------
>>> from symbrnn.cells import elman
>>> f = compile_cell(elman())
>>> sorted(f.gradients({"w": .5, "U": .5, "V": .5, "b": .2, "c": .1, "x": [1, .8], "y": [.5, .6]}))
['U', 'V', 'b', 'c', 'w']
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from ..codegen.kernels import kernels_for
from ..core.kinds import PARAM
from ..declare.cell import Cell
from ..declare.lower import lowered, regroup
from ..declare.values import resolve_values, steps_of
from .gradients import loss_and_gradients
from .programs import program_for
from .recursion import templates

__all__ = ["CompiledCell", "compile_cell"]


class CompiledCell:
    """A cell compiled to numeric code, independent of T: step kernels and a generated BPTT program.

    Attributes
    ----------
    cell : Cell

    Examples
    --------
    >>> from symbrnn.cells import elman
    >>> f = compile_cell(elman())
    >>> values = {"w": .5, "U": .5, "V": .5, "b": .2, "c": .1, "x": [1, .8, .6], "y": [.5, .6, .7]}
    >>> round(f.loss(values), 12)
    0.046575036937
    >>> [round(h, 6) for h in f.forward(values)["h"]]
    [0.0, 0.604368, 0.71736, 0.695577]
    >>> round(f.gradients(values)["V"], 12)
    -0.33592684577
    >>> print(f.source.splitlines()[0])
    def bptt(T, _seq_x, _seq_y, w, U, V, b, c, h_init):
    >>> round(f.gradients(values, backend="c")["V"], 12)    # the same program in C
    -0.33592684577

    A batch: N sequences at once (per-step data of shape (N, T)), one gradient each:

    >>> import numpy as np
    >>> batch = {**values, "x": np.tile(values["x"], (4, 1)), "y": np.tile(values["y"], (4, 1))}
    >>> losses, grads = f.batch(batch)
    >>> losses.shape, grads["V"].shape, round(float(grads["V"][3]), 12)
    ((4,), (4,), -0.33592684577)
    """

    def __init__(self, cell: Cell):
        cell.validate()
        self.cell = cell
        self._program = program_for(cell)  # its programs and this cell's step kernels are built on first use

    @cached_property
    def _low(self) -> Cell:
        return lowered(self.cell)

    @cached_property
    def _kernels(self):
        low = self._low
        kernels = kernels_for(low)
        P = kernels.partials
        states = low.states()
        levels = states + (low.loss_name,)
        kernels.use_templates(templates(P, levels, [low.symbol(p) for p in low.names(PARAM)]))
        return kernels

    def __repr__(self) -> str:
        return f"CompiledCell({self.cell.name!r})"

    def forward(self, values, *, T: int | None = None) -> dict[str, list]:
        """Every per-step quantity: name -> list indexed by step (index 0 holds initial states).

        T defaults to the length of the per-step data. A shaped quantity's
        entries are numpy arrays of its shape.
        """
        trace = self._kernels.forward(resolve_values(self._low, steps_of(self.cell, values, T), values))
        return regroup(self.cell, trace)

    def loss(self, values, *, T: int | None = None) -> float:
        """The total loss L = Σ_t L_t."""
        return float(sum(self.forward(values, T=T)[self.cell.loss_name][1:]))

    def gradients(self, values, *, T: int | None = None, wrt=None, mode: str = "reverse", strategy: str = "auto",
                  backend: str = "python", truncate=None) -> dict[str, float | np.ndarray]:
        """dL/dθ for every param (or for ``wrt``, which may include initial states ``"h_0"``); arrays if shaped.

        ``strategy``, ``backend`` and ``truncate`` (truncated BPTT) are those of
        :func:`~symbrnn.numeric.gradients.loss_and_gradients`.
        """
        return self.loss_and_gradients(values, T=T, wrt=wrt, mode=mode, strategy=strategy, backend=backend,
                                       truncate=truncate)[1]

    def loss_and_gradients(self, values, *, T: int | None = None, wrt=None, mode: str = "reverse",
                           strategy: str = "auto", backend: str = "python", truncate=None):
        """The total loss and the gradients in one pass (see :func:`~symbrnn.numeric.gradients.loss_and_gradients`)."""
        return loss_and_gradients(self.cell, steps_of(self.cell, values, T), values, wrt=wrt, mode=mode,
                                  strategy=strategy, backend=backend, truncate=truncate)

    def batch(self, values, *, T: int | None = None, wrt=None, backend: str = "numpy"):
        """Losses and gradients of N sequences (or N parameter sets) at once.

        Per-step data have shape ``(N, T, *shape)``; each param its own shape
        (shared) or ``(N, *shape)``. Returns an array of N losses and, per
        name, an array ``(N, *shape)`` of each sequence's own gradient.
        ``backend`` is ``"numpy"`` (vectorised over the batch) or ``"c"``.
        """
        return self._program.run_batch(values, T=T, wrt=wrt, backend=backend)

    @property
    def source(self) -> str:
        """The generated Python source of the gradient: the BPTT program, forward loop then backward loop."""
        return self._program.source

    @property
    def c_source(self) -> str:
        """The same BPTT program in C (what ``backend="c"`` compiles)."""
        return self._program.c_source

    @property
    def array_source(self) -> str:
        """The BPTT program written with array operations (``strategy="arrays"``), for a cell that has that form."""
        return self._program.checked_array_program().source

    @property
    def kernel_source(self) -> str:
        """The generated Python source of the step kernels: the forward kernel, then the term kernel."""
        return self._kernels.forward_source + "\n" + self._kernels.terms_source


def compile_cell(cell: Cell) -> CompiledCell:
    """Compile ``cell`` to numeric functions: loss, forward values and gradients for any T."""
    return CompiledCell(cell)
