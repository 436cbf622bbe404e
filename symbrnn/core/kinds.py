"""The vocabulary of a cell's graph: attribute keys and kinds of quantity, defined once.

Examples
--------
>>> KINDS
('input', 'target', 'param', 'state', 'node', 'loss')
>>> a(PARAM), a(INPUT)
('a param', 'an input')
"""

from __future__ import annotations

__all__ = [
    "COMPUTED",
    "DELAY",
    "DISTRIBUTION",
    "DISTRIBUTIONS",
    "EXPR",
    "INIT",
    "INPUT",
    "KIND",
    "KINDS",
    "LAGS",
    "LOSS",
    "NODE",
    "PARAM",
    "PER_STEP",
    "SHAPE",
    "STATE",
    "SYMBOL",
    "TARGET",
    "a",
]

# graph attribute keys, defined once
KIND, EXPR, INIT, SYMBOL, SHAPE = "kind", "expr", "init", "symbol", "shape"
DELAY, LAGS = "delay", "lags"
DISTRIBUTION = "distribution"  # what a target's values must be: a probability vector, or one-hot

#: the distributions a target may be declared as (None: any numbers)
DISTRIBUTIONS = (None, "probabilities", "one_hot")

# kinds of quantity
INPUT, TARGET, PARAM, STATE, NODE, LOSS = "input", "target", "param", "state", "node", "loss"
KINDS = (INPUT, TARGET, PARAM, STATE, NODE, LOSS)
PER_STEP = (INPUT, TARGET, STATE, NODE, LOSS)
COMPUTED = (STATE, NODE, LOSS)

def a(kind: str) -> str:
    """``kind`` with its article: 'an input', 'a param'."""
    return ("an " if kind[:1] in "aeiou" else "a ") + kind
