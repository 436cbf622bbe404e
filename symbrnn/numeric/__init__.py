"""numeric: numbers. Gradients (the strategy dispatcher), the reference recursion, programs run on values,
evaluations of derivations, Jacobians, backward tables.

Layer 4: imports every layer below it (core, declare, derive, codegen),
never render or the command line. Importing it installs its evaluation as
the way a :class:`~symbrnn.TotalDerivative` computes numbers
(:meth:`~symbrnn.TotalDerivative.value`, ``evaluate``).
"""

from ..derive.numbers import compute_numbers_with
from . import matrix
from .backward import backward_table
from .compiled import CompiledCell, compile_cell
from .evaluate import Evaluation, evaluate, gradients, value
from .gradients import loss_and_gradients
from .jacobians import jacobian, jacobian_values
from .optimizers import SGD, Adam, AdamState, Clipping, clip_by_norm
from .solution import Solution, solve

compute_numbers_with(value=value, evaluate=evaluate, matrix_value=matrix.value, matrix_evaluate=matrix.evaluate)

__all__ = [
    "Adam",
    "AdamState",
    "Clipping",
    "CompiledCell",
    "Evaluation",
    "SGD",
    "Solution",
    "backward_table",
    "clip_by_norm",
    "compile_cell",
    "evaluate",
    "gradients",
    "jacobian",
    "jacobian_values",
    "loss_and_gradients",
    "solve",
]
