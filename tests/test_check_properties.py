"""Property: corrupt one number of a right sheet with a random slip; the checker flags that number, and only
the numbers that follow from it are anything but right (and those are right or carried)."""

from __future__ import annotations

import test_check_lstm as lstm_sheets
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from test_check import EXACT, VALUES, T, agrees, sheet

from symbrnn import check
from symbrnn.cells import elman, lstm_gomez

KEYS = sorted(k for k, v in EXACT.items() if abs(v) > 1e-3)

SLIP_KINDS = {
    "sign": lambda v, n, x: -v,
    "factor of ten": lambda v, n, x: v * (10 if x > 0 else 0.1),
    "offset": lambda v, n, x: v + (0.05 + abs(x)) * (1 if x > 0 else -1),
    "scale": lambda v, n, x: v * (1.5 + abs(x)),
}


@settings(max_examples=40, deadline=None)
@given(key=st.sampled_from(KEYS), kind=st.sampled_from(sorted(SLIP_KINDS)),
       x=st.floats(-1, 1).filter(lambda x: abs(x) > 0.01), decimals=st.sampled_from([3, 4, 5]))
def test_one_slip_is_flagged_and_only_what_follows_from_it_is_not_right(key, kind, x, decimals):
    s = sheet({key: lambda v, n: SLIP_KINDS[kind](v, n, x)}, decimals=(decimals,))
    assume(not agrees(s.text[key], EXACT[key]))
    report = check(elman(), T, VALUES, s.text)
    assert report[key].verdict == "wrong"
    for m in report:
        if m.key == key:
            continue
        if m.key in s.tainted:
            assert m.verdict in ("right", "carried"), m
        else:
            assert m.verdict == "right", m


LSTM_KEYS = sorted(k for k, v in lstm_sheets.EXACT.items() if abs(v) > 1e-3)


@settings(max_examples=25, deadline=None)
@given(key=st.sampled_from(LSTM_KEYS), kind=st.sampled_from(sorted(SLIP_KINDS)),
       x=st.floats(-1, 1).filter(lambda x: abs(x) > 0.01), decimals=st.sampled_from([3, 4, 5]))
def test_the_same_on_seed_000s_lstm_at_the_matrix_level(key, kind, x, decimals):
    s = lstm_sheets.sheet({key: lambda v, n: SLIP_KINDS[kind](v, n, x)}, decimals=(decimals,))
    assume(not lstm_sheets.right(s.text[key], lstm_sheets.EXACT[key]))
    report = check(lstm_gomez(2, 1), lstm_sheets.T, lstm_sheets.VALUES, s.text)
    assert report[key].verdict == "wrong"
    for m in report:
        if m.key != key:
            assert m.verdict in (("right", "carried") if m.key in s.tainted else ("right",)), m
