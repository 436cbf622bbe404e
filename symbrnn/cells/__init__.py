"""Built-in cells: functions that return a ready :class:`~symbrnn.Cell`, sizes as arguments.

:data:`BUILTIN` maps each name to its function and a one-line description;
every function can be called without arguments (small default sizes).

Examples
--------
>>> sorted(BUILTIN)
['elman', 'elman_softmax', 'gru', 'lstm', 'lstm_gomez', 'lstm_step_batch', 'stacked']
>>> BUILTIN["elman"][0]().name
'elman'
>>> lstm(3, 4).shape("W_ih")
(16, 3)
"""

from .elman import elman
from .gru import gru
from .lstm import lstm, lstm_gomez, lstm_step_batch
from .softmax import elman_softmax
from .stacked import stacked

__all__ = ["BUILTIN", "elman", "elman_softmax", "gru", "lstm", "lstm_gomez", "lstm_step_batch", "stacked"]

#: name -> (function returning the cell, one-line description)
BUILTIN = {
    "elman": (
        elman,
        "scalar Elman RNN (seed 002): h_t = tanh(w·x_t + U·h_{t-1} + b), ŷ_t = V·h_t + c, L_t = ½(ŷ_t − y_t)²",
    ),
    "elman_softmax": (
        elman_softmax,
        "Elman RNN, softmax output, cross-entropy on one-hot y (seed 004): ∂L_t/∂z_t = ŷ_t − y_t",
    ),
    "gru": (gru, "GRU as torch.nn.GRU (gates r, z, n; b_hn inside the reset product), L_t = ½‖h_t − y_t‖²"),
    "lstm": (lstm, "LSTM as torch.nn.LSTM (gates i, f, g, o; biases b_ih, b_hh), L_t = ½‖h_t − y_t‖²"),
    "lstm_gomez": (
        lstm_gomez,
        "LSTM of seed 000 (gates a, i, f, o; one bias per gate; input 2, hidden 1), L_t = ½‖h_t − y_t‖²",
    ),
    "lstm_step_batch": (
        lstm_step_batch,
        "LSTM of seed 001 in the row (batch) convention: x_t (N×D) @ W_x, gates [i, f, o, g], L_t = ½‖h_t − y_t‖²",
    ),
    "stacked": (stacked, "two Elman layers and a linear readout as one cell (stacked(layer, ...) for others)"),
}
