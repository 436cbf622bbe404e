"""The numeric forms of symbrnn's functions against mpmath at 50 digits."""

import mpmath
import numpy as np
import pytest

from symbrnn.declare.forms import MPMATH_FUNCTIONS, NUMPY_FUNCTIONS


@pytest.mark.parametrize("x", [-745.0, -700.0, -100.0, -40.0, -30.0, -1e-8, 0.0, 1e-8, 0.5, 30.0, 40.0, 700.0, 800.0])
def test_numpy_sigmoid_has_full_relative_precision(x):
    with mpmath.workdps(50):
        exact = MPMATH_FUNCTIONS["sigmoid"](mpmath.mpf(x))
        got = NUMPY_FUNCTIONS["sigmoid"](x)
        assert np.isfinite(got) and not isinstance(got, np.ndarray)
        assert abs(mpmath.mpf(got) - exact) <= 4e-16 * abs(exact) + 1e-320


def test_numpy_sigmoid_works_on_arrays():
    xs = np.linspace(-50, 50, 101)
    with mpmath.workdps(50):
        exact = np.array([float(MPMATH_FUNCTIONS["sigmoid"](mpmath.mpf(x))) for x in xs])
    assert np.allclose(NUMPY_FUNCTIONS["sigmoid"](xs), exact, rtol=1e-15, atol=0)
