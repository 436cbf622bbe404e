"""Exception types: one per way a cell, a request or a set of values can be wrong.

Every message names the offending quantity and says how to fix it. All of them
derive from :class:`SymbrnnError` (and from :class:`ValueError`, so generic
handlers keep working).
"""

from __future__ import annotations

__all__ = [
    "AlgebraicLoopError",
    "BackendError",
    "CellError",
    "DuplicateNameError",
    "EquationError",
    "ExpressionError",
    "GradientCheckError",
    "InvalidNameError",
    "MissingLossError",
    "MissingUpdateError",
    "MissingValueError",
    "NonScalarLossError",
    "SequenceLengthError",
    "ShapeError",
    "SpecError",
    "StepsError",
    "SymbrnnError",
    "UnknownSymbolError",
    "UnknownValueError",
    "ValuesError",
    "WrtError",
]


class SymbrnnError(ValueError):
    """Base class of every error symbrnn raises on bad input."""


class CellError(SymbrnnError):
    """A cell declaration is invalid."""


class InvalidNameError(CellError):
    """A quantity name is not a usable identifier or would clash with a time-indexed name."""


class DuplicateNameError(CellError):
    """Two quantities of one cell share a name."""


class ExpressionError(CellError):
    """An expression, an initial value or a reference has the wrong type or form."""


class ShapeError(CellError):
    """Shapes do not fit: an operator's operands, or an update (or initial value) and its state."""


class UnknownSymbolError(CellError):
    """An expression uses a symbol the cell does not declare."""


class AlgebraicLoopError(CellError):
    """A cycle of quantities with no delay edge on it: the step cannot be computed."""


class MissingUpdateError(CellError):
    """A state has no update expression."""


class MissingLossError(CellError):
    """The cell declares no per-step loss."""


class NonScalarLossError(CellError):
    """The loss is not a scalar expression."""


class StepsError(SymbrnnError):
    """The number of steps T is not a positive integer."""


class WrtError(SymbrnnError):
    """The quantity to differentiate with respect to (or of) is not allowed."""


class ValuesError(SymbrnnError):
    """Numeric values given for evaluation are unusable."""


class MissingValueError(ValuesError):
    """A quantity needed for evaluation has no value."""


class UnknownValueError(ValuesError):
    """A value is given for a name the cell does not declare."""


class SequenceLengthError(ValuesError):
    """Per-step data does not have exactly one entry per step."""


class BackendError(SymbrnnError):
    """A numeric backend cannot run here (no C compiler) or cannot express the cell."""


class GradientCheckError(SymbrnnError):
    """The engine's gradient disagrees with finite differences."""


class SpecError(SymbrnnError):
    """A cell file or values file cannot be used; the message starts with the file (and key)."""


class EquationError(SpecError):
    """Equation text is not allowed or does not parse."""


for _name in __all__:  # the public name: tracebacks and reprs read symbrnn.ShapeError, as users import it
    globals()[_name].__module__ = "symbrnn"
del _name
