"""symbrnn: a symbolic derivation engine for the gradients of recurrent networks.

Declare one step of a cell, unroll it, and derive the total derivative of the
loss with every chain-rule term kept and labelled (explicit and implicit in
forward mode, deltas in reverse mode), then compute every term's number.

Examples
--------
>>> import sympy as sp
>>> from symbrnn import Cell, derive, gradients
>>> cell = Cell("elman")
>>> x = cell.input("x")
>>> y = cell.target("y")
>>> w, U, V, b, c = cell.params("w U V b c")
>>> h = cell.state("h", init=0)
>>> a = cell.node("a", w*x + U*h.prev + b)
>>> cell.update(h, sp.tanh(a))
>>> yhat = cell.node("yhat", V*h + c)
>>> cell.loss(sp.Rational(1, 2)*(yhat - y)**2)
L_t
>>> values = {"w": .5, "U": .5, "V": .5, "b": .2, "c": .1, "x": [1, .8, .6], "y": [.5, .6, .7]}
>>> d = derive(cell, T=3, wrt=U)
>>> round(d.value(values), 10)
-0.0769709608
>>> {k: round(v, 4) for k, v in gradients(cell, T=3, values=values).items()}
{'w': -0.1261, 'U': -0.077, 'V': -0.3359, 'b': -0.1621, 'c': -0.4913}
"""

import importlib

from . import analysis, cells, checking, testing
from .checking import Mark, Report, check
from .core import display, errors, progress
from .core.errors import (
    AlgebraicLoopError,
    BackendError,
    CellError,
    DuplicateNameError,
    EquationError,
    ExpressionError,
    GradientCheckError,
    InvalidNameError,
    MissingLossError,
    MissingUpdateError,
    MissingValueError,
    NonScalarLossError,
    SequenceLengthError,
    ShapeError,
    SpecError,
    StepsError,
    SymbrnnError,
    UnknownSymbolError,
    UnknownValueError,
    ValuesError,
    WrtError,
)
from .core.symbols import prev
from .declare import spec
from .declare.activations import activation
from .declare.cell import Cell
from .declare.functions import exp, log, logsumexp, relu, sigmoid, softmax, tanh
from .declare.template import values_template
from .declare.tensor import Tensor
from .derive.terms import Term
from .derive.total import TotalDerivative, derive
from .derive.unroll import Unrolled, unroll
from .numeric.backward import backward_table
from .numeric.compiled import CompiledCell, compile_cell
from .numeric.evaluate import Evaluation, gradients
from .numeric.jacobians import jacobian, jacobian_values

__version__ = "0.1.0"

# symbrnn.render loads rich: it is imported when something is first drawn (or asked for), not before
display.on_first_use(lambda: importlib.import_module(".render", __name__))


def __getattr__(name):
    if name == "render":
        return importlib.import_module(".render", __name__)
    raise AttributeError(f"module 'symbrnn' has no attribute {name!r}")

__all__ = [
    "AlgebraicLoopError",
    "BackendError",
    "Cell",
    "CellError",
    "CompiledCell",
    "DuplicateNameError",
    "EquationError",
    "Evaluation",
    "ExpressionError",
    "GradientCheckError",
    "InvalidNameError",
    "Mark",
    "MissingLossError",
    "MissingUpdateError",
    "MissingValueError",
    "NonScalarLossError",
    "Report",
    "SequenceLengthError",
    "ShapeError",
    "SpecError",
    "StepsError",
    "SymbrnnError",
    "Tensor",
    "Term",
    "TotalDerivative",
    "UnknownSymbolError",
    "UnknownValueError",
    "Unrolled",
    "ValuesError",
    "WrtError",
    "activation",
    "analysis",
    "backward_table",
    "cells",
    "check",
    "checking",
    "compile_cell",
    "derive",
    "errors",
    "exp",
    "gradients",
    "jacobian",
    "jacobian_values",
    "log",
    "logsumexp",
    "prev",
    "progress",
    "relu",
    "sigmoid",
    "softmax",
    "spec",
    "tanh",
    "testing",
    "unroll",
    "values_template",
]
