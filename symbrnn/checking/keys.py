"""The names of an answer sheet: the symbols ``symbrnn eval --json`` prints, and their plain-ASCII spellings.

Spaces are ignored everywhere. Beside the exact symbols these spellings work:

==========================  ===============================  ==================
written                     means                            e.g.
==========================  ===============================  ==================
``d``                       ``∂`` where no total of that     ``d h_3 / d h_2`` is ``∂h_3/∂h_2``
                            name exists (totals first)
``del``, ``partial``        ``∂``                            ``del h_3/del U``
``explicit(dh_3/dU)``       ``∂h_3/∂U``
``delta``                   ``δ``                            ``delta h_2``
``yhat``, ``ŷ``             ``yhat``                         ``ŷ_3``
``h_2[0]``                  ``h[0]_2``                       ``delta c_1[0]``
``W[1,0]_new``              ``W_new[1,0]``
``dL/dW[1,0][2]``           ``dL/dW[2][1,0]`` (step 2's      the componentwise
                            share of dL/dW[1,0]) where no    engine's order
                            key of the first order exists
==========================  ===============================  ==================

In a shaped cell the deltas are the matrix derivation's: ``δq[i]_t`` is
dL/dq_t for every quantity q of step t (an LSTM's gates ``δa``, ``δi``,
``δf``, ``δo``, their pre-activations ``δz``), so ``δc[0]_t`` includes the
path through h_t of the same step, as a hand derivation writes it.

Examples
--------
>>> keys = ["h_2", "∂h_3/∂h_2", "∂h_3/∂U", "dh_3/dU", "δh_2", "U_new"]
>>> [resolve(k, keys) for k in ["d h_3 / d h_2", "dh_3/dU", "del h_3/del U", "explicit(dh_3/dU)", "delta h_2"]]
['∂h_3/∂h_2', 'dh_3/dU', '∂h_3/∂U', '∂h_3/∂U', 'δh_2']
>>> resolve("dL/dW[1,0][2]", ["dL/dW[2][1,0]"])
'dL/dW[2][1,0]'
>>> resolve("h_9", keys) is None, nearest("h_9", keys)
(True, ['h_2', 'δh_2'])
"""

from __future__ import annotations

import difflib
import re
import unicodedata

__all__ = ["nearest", "resolve", "spellings"]

_COMPONENT_AFTER_STEP = re.compile(r"([A-Za-z][A-Za-z0-9]*)_(\d+)\[([\d,]+)\]")
_NEW_AFTER_INDEX = re.compile(r"^([A-Za-z][A-Za-z0-9]*)\[([\d,]+)\]_new$")
_FRACTION = re.compile(r"^d(.+)/d(.+)$")
_SHARE_INDEX_FIRST = re.compile(r"^(dL/d[^\[]+)(\[[\d,]+\])\[(\d+)\]$")


def _compact(text: str) -> str:
    text = unicodedata.normalize("NFC", str(text))
    text = re.sub(r"\s+", "", text).replace("ŷ", "yhat").replace("𝛿", "δ").replace("Δ", "δ")
    text = re.sub(r"delta_?", "δ", text)
    text = re.sub(r"partial|del(?!ta)", "∂", text)
    text = _COMPONENT_AFTER_STEP.sub(r"\1[\3]_\2", text)
    return _NEW_AFTER_INDEX.sub(r"\1_new[\2]", text)


def spellings(text: str) -> list[str]:
    """The canonical names ``text`` may mean, the likeliest first."""
    s = _compact(text)
    out = [s]
    explicit = re.fullmatch(r"explicit\((.+)\)", s)
    if explicit:
        s = explicit.group(1)
    fraction = _FRACTION.match(s)
    if fraction:
        partial = f"∂{fraction.group(1)}/∂{fraction.group(2)}"
        out = [partial] if explicit else [*out, partial]
    share = _SHARE_INDEX_FIRST.match(s)
    if share:
        out.append(f"{share.group(1)}[{share.group(3)}]{share.group(2)}")
    return list(dict.fromkeys(out))


def resolve(text: str, keys) -> str | None:
    """The key of ``keys`` that ``text`` names, or None."""
    valid = keys if isinstance(keys, (set, frozenset, dict)) else set(keys)
    for candidate in spellings(text):
        if candidate in valid:
            return candidate
    return None


def nearest(text: str, keys, n: int = 5) -> list[str]:
    """Up to ``n`` keys of ``keys`` closest to ``text`` (difflib), for an error message."""
    ordered = list(keys)
    found = difflib.get_close_matches(_compact(text), ordered, n=n, cutoff=0.5)
    return found or difflib.get_close_matches(_compact(text), ordered, n=n, cutoff=0.0)[:3]
