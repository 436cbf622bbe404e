"""Built-in cells: functions that return a ready :class:`~symbrnn.Cell`.

:data:`BUILTIN` maps each name to its function and a one-line description.

Examples
--------
>>> sorted(BUILTIN)
['elman']
>>> BUILTIN["elman"][0]().name
'elman'
"""

from .elman import elman

__all__ = ["BUILTIN", "elman"]

#: name -> (function returning the cell, one-line description)
BUILTIN = {
    "elman": (
        elman,
        "scalar Elman RNN (seed 002): h_t = tanh(w·x_t + U·h_{t-1} + b), ŷ_t = V·h_t + c, L_t = ½(ŷ_t − y_t)²",
    ),
}
