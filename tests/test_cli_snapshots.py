"""The command line's whole output on the examples, byte for byte against tests/snapshots/cli/ (see cli_cases.py).

A number printed to full precision (``--json``: 16–17 significant digits) may differ in its last digit between
numpy builds and CPUs (the order of a BLAS sum); such numbers are compared to 1e-13 relative, the rest of the
output byte for byte.
"""

import math
import re

import pytest
from cli_cases import CASES, SNAPSHOTS, columns, run

FULL = re.compile(r"-?\d+\.\d{12,}(?:e[-+]?\d+)?")


def same(got: str, expected: str) -> bool:
    """Byte-identical, but for full-precision numbers that agree to 1e-13 relative."""
    if got == expected:
        return True
    a, b = FULL.findall(got), FULL.findall(expected)
    if FULL.sub("#", got) != FULL.sub("#", expected) or len(a) != len(b):
        return False
    return all(math.isclose(float(x), float(y), rel_tol=1e-13, abs_tol=1e-15) for x, y in zip(a, b, strict=True))


def test_same_tells_a_last_digit_from_a_real_change():
    assert same('{"x": -0.008165526548181463}', '{"x": -0.008165526548181461}')
    assert not same('{"x": -0.008165526548181463}', '{"x": -0.008165526549181463}')
    assert not same('{"x": 0.265481814630, "y": 1}', '{"x": 0.265481814630, "y": 2}')
    assert not same("0.71", "0.72")


@pytest.mark.parametrize("name", sorted(CASES))
def test_output_is_unchanged(name):
    expected = (SNAPSHOTS / f"{name}.txt").read_text(encoding="utf-8")
    got = run(CASES[name], columns(name))
    assert same(got, expected), f"{name}: the output changed (regenerate with tests/cli_cases.py --write if meant)"
    if name.endswith("_w60"):  # it fits the terminal
        assert max(len(line) for line in got.splitlines()) <= 60, name
