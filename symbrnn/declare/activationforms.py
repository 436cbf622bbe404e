"""The definitions and numeric forms of a researcher's activations: checked once, then one form per backend.

:func:`symbrnn.declare.activations.activation` hands what the user gave to
this module: :func:`definition` and :func:`slope` turn a function, an
expression or an undefined sympy Function into φ(z) and φ'(z) in the
variables :data:`VARIABLE` and :data:`OUTPUT` (y = φ(z)), checked to be real,
defined and differentiable, and to agree with each other; :func:`numeric_table`
checks a numeric form; :func:`register_forms` writes the forms of φ and φ' for
every backend into :mod:`symbrnn.declare.forms`.

Examples
--------
>>> import sympy as sp
>>> definition("f", lambda z: z / (1 + sp.Abs(z)))
_z/(Abs(_z) + 1)
>>> slope("f", None, lambda z, y: 1 - y**2)
1 - _y**2
>>> print(refusal("f", "c").split(";")[0])
backend='c' cannot run activation 'f': it is given only as a Python callable
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping

import mpmath
import numpy as np
import sympy as sp
from sympy.core.function import AppliedUndef, UndefinedFunction

from ..core import errors
from .forms import BACKENDS, MPMATH_FUNCTIONS, NUMPY_FUNCTIONS, NumericForms, numeric_forms, register

__all__ = ["DECLARED", "OUTPUT", "VARIABLE", "definition", "numeric_table", "refusal", "register_forms", "slope",
           "with_declared"]

#: the variable of every definition (z), and the activation's output (y = φ(z)) in a derivative
VARIABLE = sp.Dummy("z", real=True)
OUTPUT = sp.Dummy("y", real=True)
#: every declared activation, by name
DECLARED: dict[str, type] = {}
_POINTS = (-1.7, -0.6, 0.3, 1.2, 2.5)  # where a given derivative and numeric form are checked


def with_declared(e: sp.Expr) -> sp.Expr:
    """``e`` with each undefined function named as a declared activation (``sp.Function('phi')(a)``) made it.

    Examples
    --------
    >>> import sympy as sp
    >>> from symbrnn.declare.activations import activation
    >>> act = activation("act_doc", lambda z: z / (1 + z**2))
    >>> type(with_declared(sp.Function("act_doc")(sp.Symbol("a")))) is act
    True
    """
    def known(x) -> bool:
        return isinstance(x, AppliedUndef) and len(x.args) == 1 and x.func.__name__ in DECLARED

    if not any(known(x) for x in e.atoms(AppliedUndef)):
        return e
    return e.replace(known, lambda x: DECLARED[x.func.__name__](x.args[0]))


def refusal(name: str, backend: str) -> str:
    """Why ``backend`` cannot compute activation ``name`` (known by a numpy callable only), and the fix."""
    fix = f"declare it with a sympy expression (symbrnn.activation({name!r}, lambda z: ...))"
    if backend == "mpmath":
        return (f"activation {name!r} has no mpmath form (it is given only as a numpy callable), so it cannot be"
                f" checked at high precision; {fix}, or give numeric={{'mpmath': ...}}")
    if backend == "jax":
        return (f"backend='jax' cannot run activation {name!r}: it is given only as a numpy callable; {fix},"
                " or give numeric={'jax': f} with f written in jax.numpy, or use backend='numpy'")
    return (f"backend={backend!r} cannot run activation {name!r}: it is given only as a Python callable; {fix},"
            " or use backend='python' or 'numpy'")


# ---------------------------------------------------------------- checking what was given
def _as_definition(name: str, what: str, value, variables: tuple) -> sp.Expr:
    """A callable's result or an expression, in ``variables``, checked: real, defined, differentiable."""
    if callable(value) and not isinstance(value, sp.Basic):
        try:
            value = value(*variables)
        except Exception as exc:  # noqa: BLE001 - the user's function, with the error it raised
            raise errors.ExpressionError(
                f"activation {name!r}: its {what} failed on a sympy symbol ({type(exc).__name__}: {exc}); write it"
                " with sympy functions, e.g. lambda z: z / (1 + sp.Abs(z))"
            ) from None
    elif isinstance(value, sp.Basic):
        free = sorted(value.free_symbols, key=sp.default_sort_key)
        if len(free) > 1:
            raise errors.ExpressionError(
                f"activation {name!r}: its {what} uses {', '.join(map(str, free))}; write it in one variable, or"
                " as a function (lambda z: ...)"
            )
        value = value.xreplace({free[0]: variables[0]}) if free else value
    value = sp.sympify(value) if isinstance(value, (int, float)) else value
    if not isinstance(value, sp.Expr):
        raise errors.ExpressionError(f"activation {name!r}: its {what} is not a sympy expression: {value!r}")
    value = with_declared(value)
    problem = _problem(value, set(variables))
    if problem:
        raise errors.ExpressionError(f"activation {name!r}: its {what} {value} {problem}")
    return value


def _problem(e: sp.Expr, variables: set) -> str | None:
    if not e.free_symbols <= variables:
        return "uses symbols besides its variable"
    if e.has(sp.zoo, sp.nan, sp.oo, -sp.oo, sp.I):
        return "is infinite, undefined or complex; check it"
    if e.atoms(AppliedUndef):
        return "uses an undefined function; declare it first with symbrnn.activation"
    if VARIABLE in variables and sp.diff(e, VARIABLE).has(sp.Derivative, sp.Subs):
        return "has no derivative sympy can write; use a differentiable function"
    return None


def definition(name: str, expr) -> sp.Expr | None:
    if expr is None:
        return None
    if isinstance(expr, UndefinedFunction):
        if expr.__name__ != name:
            raise errors.ExpressionError(
                f"activation {name!r} is given sp.Function({expr.__name__!r}); give it the same name"
            )
        return None
    if not (callable(expr) or isinstance(expr, sp.Basic)):
        raise errors.ExpressionError(
            f"activation {name!r}: expected a function (lambda z: ...), a sympy expression in one variable, or"
            f" sp.Function({name!r}); got {type(expr).__name__}"
        )
    return _as_definition(name, "definition", expr, (VARIABLE,))


def slope(name: str, definition: sp.Expr | None, derivative) -> sp.Expr:
    """φ' in VARIABLE and OUTPUT: sympy's of the definition, or the one given (which must agree with it)."""
    if derivative is None:
        if definition is None:
            raise errors.ExpressionError(
                f"activation {name!r} has no definition, so it needs its derivative: derivative=lambda z: ..."
                " (or lambda z, y: ... with y its output), or give the activation as an expression"
            )
        return sp.diff(definition, VARIABLE)
    variables = (VARIABLE,)
    if callable(derivative) and not isinstance(derivative, sp.Basic):
        variables = (VARIABLE, OUTPUT) if _arity(name, derivative) == 2 else variables
    slope = _as_definition(name, "derivative", derivative, variables)
    if definition is not None:
        _agree(name, "derivative", sp.diff(definition, VARIABLE), slope.xreplace({OUTPUT: definition}))
    return slope


def _arity(name: str, f) -> int:
    try:
        n = len(inspect.signature(f).parameters)
    except (TypeError, ValueError):
        n = 1
    if n not in (1, 2):
        raise errors.ExpressionError(
            f"activation {name!r}: derivative takes z, or z and the output y (lambda z, y: 1 - y**2); it takes {n}"
        )
    return n


def _agree(name: str, what: str, want, got: Callable | sp.Expr) -> None:
    """``got`` (an expression in VARIABLE, or a numpy callable) equals ``want`` at a few points."""
    exact = sp.lambdify([VARIABLE], want, modules=[MPMATH_FUNCTIONS, "mpmath"])
    if isinstance(got, sp.Expr):
        other = sp.lambdify([VARIABLE], got, modules=[MPMATH_FUNCTIONS, "mpmath"])
        values = [float(other(mpmath.mpf(p))) for p in _POINTS]
    else:
        values = _elementwise_values(name, got)
    for p, v in zip(_POINTS, values, strict=True):
        w = float(exact(mpmath.mpf(p)))
        if math.isfinite(w) and not abs(v - w) <= 1e-9 * (1 + abs(w)):
            raise errors.ExpressionError(
                f"activation {name!r}: its {what} disagrees with its definition at z = {p}: {v!r}, not {w!r}"
            )


def _elementwise_values(name: str, f) -> list[float]:
    try:
        out = np.asarray(f(np.array(_POINTS)), dtype=float)
    except Exception as exc:  # noqa: BLE001 - the user's function, with the error it raised
        raise errors.ExpressionError(
            f"activation {name!r}: numeric failed on a numpy array ({type(exc).__name__}: {exc}); give a"
            " ufunc-like callable that acts elementwise (e.g. np.tanh)"
        ) from None
    if out.shape != (len(_POINTS),):
        raise errors.ExpressionError(
            f"activation {name!r}: numeric turned an array of shape ({len(_POINTS)},) into shape {out.shape};"
            " give a callable that acts elementwise (e.g. np.tanh)"
        )
    return [float(v) for v in out]


def numeric_table(name: str, numeric, definition) -> dict[str, Callable]:
    if numeric is None:
        table = {}
    elif isinstance(numeric, Mapping):
        table = dict(numeric)
        unknown = sorted(map(str, set(table) - set(BACKENDS)))
        if unknown or not all(callable(f) for f in table.values()):
            raise errors.ExpressionError(
                f"activation {name!r}: numeric maps backends ({', '.join(BACKENDS)}) to callables;"
                f" got {', '.join(map(repr, unknown or table))}"
            )
    elif callable(numeric):
        table = {"numpy": numeric}
    else:
        raise errors.ExpressionError(f"activation {name!r}: numeric is a callable (np.tanh), got {numeric!r}")
    elementwise = table.get("numpy", table.get("python"))
    if definition is None and elementwise is None:
        raise errors.ExpressionError(
            f"activation {name!r} has no definition, so it needs numeric=<a numpy ufunc-like callable>,"
            " or give the activation as an expression (lambda z: ...)"
        )
    if elementwise is not None:
        if definition is None:
            _elementwise_values(name, elementwise)
        else:
            _agree(name, "numeric form", definition, elementwise)
    return table


# ---------------------------------------------------------------- numeric forms
def _lambdified(e: sp.Expr, backend: str, jax=None) -> Callable:
    if backend == "mpmath":
        return sp.lambdify([VARIABLE], e, modules=[MPMATH_FUNCTIONS, "mpmath"])
    if backend == "numpy":
        f = sp.lambdify([VARIABLE], e, modules=[NUMPY_FUNCTIONS, "numpy"])
        return f if e.has(VARIABLE) else (lambda x: np.full_like(np.asarray(x, dtype=float), f(x))[()])
    from sympy.printing.numpy import NumPyPrinter

    space = {k: getattr(jax.numpy, k) for k in dir(jax.numpy) if not k.startswith("_")}
    space.update(numeric_forms("jax", jax))
    printer = NumPyPrinter({"fully_qualified_modules": False, "inline": True, "allow_unknown_functions": True})
    f = sp.lambdify([VARIABLE], e, modules=[space], printer=printer)
    return f if e.has(VARIABLE) else (lambda x: jax.numpy.full_like(x, f(x)))


def _refusing(name: str, backend: str) -> Callable:
    def refuse(*args):
        raise errors.BackendError(refusal(name, backend))

    return refuse


def _jax_form(name: str, e: sp.Expr | None, given: Callable | None) -> Callable:
    """The JAX factory (it takes the jax module); lambdified on first use, as the forms it calls are then known."""
    def factory(jax):
        if given is not None:
            return given
        if e is None:
            return _refusing(name, "jax")
        built: list[Callable] = []

        def form(x):
            if not built:
                built.append(_lambdified(e, "jax", jax))
            return built[0](x)

        return form

    return factory


def register_forms(cls: type, table: dict) -> None:
    """φ's forms, then φ''s (which may call φ)."""
    name, d = cls.__name__, cls.derivative_class
    e = cls.definition
    closed = e is not None
    elementwise = table.get("numpy", table.get("python"))
    f_np = elementwise if elementwise is not None else _lambdified(e, "numpy")
    f_mp = table.get("mpmath") or (_lambdified(e, "mpmath") if closed else _refusing(name, "mpmath"))
    register(name, NumericForms(python=table.get("python", f_np), numpy=f_np, mpmath=f_mp,
                                jax=_jax_form(name, e, table.get("jax"))))
    slope = d.written()
    d_np = _lambdified(slope, "numpy")
    d_mp = _lambdified(slope, "mpmath") if closed or not slope.has(cls) else _refusing(name, "mpmath")
    register(d.__name__, NumericForms(python=d_np, numpy=d_np, mpmath=d_mp,
                                      jax=_jax_form(name, slope if closed or not slope.has(cls) else None, None)))
