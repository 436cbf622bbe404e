"""A researcher's own activation: a sympy Function with its derivative φ' and a numeric form for every backend.

:func:`activation` declares one. It is a one-argument sympy Function, like
:class:`~symbrnn.declare.functions.sigmoid`: it applies elementwise to a
Tensor, sympy differentiates it through its ``fdiff``, and its derivative is
a function of its own, printed ``phi'(a_t)`` (LaTeX ``\\phi'``), so that a
derivation shows φ' where a hand derivation would. Each backend computes both
from the same definition: numpy and Python (lambdify, or the ``numeric``
callable given), mpmath (the 50-digit checks), JAX, and C (written out by the
C printer). An activation given only as a numpy callable runs on numpy and
Python; C, JAX and mpmath refuse it with a message that names the fix.

Examples
--------
>>> import sympy as sp
>>> softsign = activation("softsign", lambda z: z / (1 + sp.Abs(z)))
>>> a = sp.Symbol("a", real=True)
>>> softsign(a).diff(a)
softsign'(a)
>>> softsign(1), softsign.derivative_class(1)
(1/2, 1/4)
>>> from symbrnn.declare.forms import NUMPY_FUNCTIONS
>>> float(NUMPY_FUNCTIONS["softsign_prime"](3.0))   # φ'(3) = 1/(1 + 3)²
0.0625
>>> sp.latex(activation("phi", sp.Function("phi"), derivative=lambda z, y: 1 - y**2,
...                     numeric=np.tanh)(a).diff(a))
"\\\\phi'{\\\\left(a \\\\right)}"
"""

from __future__ import annotations

import builtins
import keyword
import math
import re

import numpy as np
import sympy as sp
from sympy.core.function import ArgumentIndexError

from ..core import errors
from . import activationforms as forms
from .activationforms import DECLARED, OUTPUT, VARIABLE, refusal, with_declared
from .forms import FORMS
from .functions import _Elementwise

__all__ = ["OUTPUT", "VARIABLE", "ActivationBase", "ActivationDerivativeBase", "activation", "declared", "refusal",
           "with_declared"]

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
#: names the generated programs call beside numpy's and sympy's
_PROGRAM_NAMES = {"scan", "reduce", "range", "len", "slice", "mpmath", "numpy", "math", "jax"}
_BUILT_IN = frozenset(FORMS) | {"tanh", "exp", "log", "sqrt", "softmax", "logsumexp"}  # symbrnn's own functions


class ActivationBase(_Elementwise):
    """Base of every activation :func:`activation` declares (each is a subclass with its own definition).

    Attributes
    ----------
    definition : sympy.Expr or None
        φ(z) in :data:`VARIABLE`; None for a function known by its numeric form only.
    derivative_class : type
        φ', an :class:`ActivationDerivativeBase`.
    display_names : tuple of str
        The name as text and as LaTeX.
    """

    nargs = 1
    definition: sp.Expr | None = None
    derivative_class: type
    display_names = ("", "")

    def fdiff(self, argindex=1):
        if argindex != 1:
            raise ArgumentIndexError(self, argindex)
        return self.derivative_class(self.args[0])

    @classmethod
    def eval(cls, x):
        if cls.definition is not None and x.is_Number:
            return cls.definition.xreplace({VARIABLE: x})
        return None

    def _eval_evalf(self, prec):
        if self.definition is None:
            return None
        return self.definition.xreplace({VARIABLE: self.args[0]})._eval_evalf(prec)

    def _eval_is_real(self):
        return True if self.args[0].is_real else None  # a declared activation maps reals to reals


class ActivationDerivativeBase(sp.Function):
    """φ' of an :class:`ActivationBase`, printed ``phi'(a)``.

    Its ``expression`` is in :data:`VARIABLE` and :data:`OUTPUT` (y = φ(z), where the derivative was given in it).
    """

    nargs = 1
    activation: type
    expression: sp.Expr
    display_names = ("", "")

    @classmethod
    def written(cls) -> sp.Expr:
        """φ'(z) written out in :data:`VARIABLE` (φ(z) where it reads the output)."""
        return cls.expression.xreplace({OUTPUT: cls.activation(VARIABLE)})

    def fdiff(self, argindex=1):
        if argindex != 1:
            raise ArgumentIndexError(self, argindex)
        return sp.diff(self.written(), VARIABLE).xreplace({VARIABLE: self.args[0]})

    @classmethod
    def eval(cls, x):
        if x.is_Number:
            value = cls.written().xreplace({VARIABLE: x})
            return value if value.is_Number else None
        return None

    def _eval_evalf(self, prec):
        return self.written().xreplace({VARIABLE: self.args[0]})._eval_evalf(prec)

    def _eval_is_real(self):
        return True if self.args[0].is_real else None

    def _sympystr(self, printer) -> str:
        return f"{self.display_names[0]}({printer._print(self.args[0])})"

    def _latex(self, printer) -> str:
        return self.display_names[1] + r"{\left(" + printer._print(self.args[0]) + r" \right)}"


def activation(name: str, expr=None, *, derivative=None, numeric=None) -> type:
    """Declare an activation φ: a sympy Function for cells, with its derivative φ' and its numeric forms.

    Parameters
    ----------
    name : str
        An identifier that no built-in function uses (not ``tanh``, ``sigmoid``, ``exp``, nor any name of
        sympy's or numpy's); φ' is named ``<name>_prime`` in generated code.
    expr : callable, sympy expression, undefined sympy Function or None
        φ itself: ``lambda z: z / (1 + sp.Abs(z))``, an expression in one symbol (``z / (1 + sp.Abs(z))``),
        or ``sp.Function(name)`` / None for a function known only by ``derivative`` and ``numeric``.
    derivative : callable or sympy expression, optional
        φ'(z), from z (``lambda z: ...``) or from z and the output y = φ(z) (``lambda z, y: 1 - y**2``).
        Needed without ``expr``; with it, sympy's derivative is used, and a given one must agree.
    numeric : callable or mapping, optional
        A numpy ufunc-like callable (``np.tanh``) for numpy and Python, or a mapping of backend
        (``"python"``, ``"numpy"``, ``"mpmath"``, ``"jax"``) to callable. Needed without ``expr``;
        with it, it must agree with the expression.

    Returns
    -------
    type
        The activation, an :class:`ActivationBase` subclass: ``phi(a)`` on a scalar, elementwise on a Tensor.
        Declaring the same name again with the same definition returns it.

    Raises
    ------
    InvalidNameError
        If the name is not an identifier, is a built-in function's, or is declared with another definition.
    ExpressionError
        If the definition, derivative or numeric form is missing, unusable, or they disagree.

    Examples
    --------
    >>> import sympy as sp
    >>> z = sp.Symbol("z")
    >>> scaled = activation("scaled_tanh", sp.Rational(17, 10) * sp.tanh(2 * z / 3))
    >>> scaled.derivative_class.written()
    17/15 - 17*tanh(2*_z/3)**2/15
    >>> try:
    ...     activation("tanh", sp.tanh)
    ... except errors.InvalidNameError as err:
    ...     print(err)
    activation name 'tanh' is a built-in function (numpy, sympy or symbrnn's); choose another name, e.g. 'my_tanh'
    """
    _check_name(name)
    definition = forms.definition(name, expr)
    slope = forms.slope(name, definition, derivative)
    table = forms.numeric_table(name, numeric, definition)
    existing = DECLARED.get(name)
    if existing is not None:
        if (existing.definition, existing.derivative_class.expression) != (definition, slope):
            raise errors.InvalidNameError(
                f"activation {name!r} is already declared with another definition; give the new one another name"
            )
        if table:
            forms.register_forms(existing, table)
        return existing
    cls = _make(name, definition, slope)
    forms.register_forms(cls, table)
    DECLARED[name] = cls
    return cls


def declared() -> dict[str, type]:
    """Every declared activation, by name (a copy)."""
    return dict(DECLARED)


# ---------------------------------------------------------------- checking what was given
def _taken(name: str) -> bool:
    from sympy.printing.c import C99CodePrinter
    from sympy.printing.latex import LatexPrinter
    from sympy.printing.numpy import NumPyPrinter
    from sympy.printing.pycode import MpmathPrinter
    from sympy.printing.str import StrPrinter

    printers = (StrPrinter, LatexPrinter, C99CodePrinter, NumPyPrinter, MpmathPrinter)
    return (name in _BUILT_IN or name in _PROGRAM_NAMES or any(hasattr(m, name) for m in (sp, np, math, builtins))
            or any(hasattr(p, f"_print_{name}") for p in printers))


def _check_name(name) -> None:
    if not isinstance(name, str) or not _NAME.match(name) or keyword.iskeyword(name):
        raise errors.InvalidNameError(
            f"activation name {str(name)[:40]!r} is not usable: write an identifier of ASCII letters, digits and _"
            " that starts with a letter, e.g. 'softsign'"
        )
    for n in (name, f"{name}_prime"):
        if _taken(n) or (n != name and n in DECLARED):
            raise errors.InvalidNameError(
                f"activation name {name!r} is a built-in function (numpy, sympy or symbrnn's); choose another"
                f" name, e.g. 'my_{name}'" if n == name else
                f"activation name {name!r} would name its derivative {n!r}, which is taken; choose another name"
            )
    if name.endswith("_prime") and name[:-6] in DECLARED:
        raise errors.InvalidNameError(f"activation name {name!r} is the derivative of activation {name[:-6]!r}")


def _latex_name(name: str) -> str:
    shown = sp.latex(sp.Symbol(name))
    return shown if shown.startswith("\\") or len(name) == 1 else r"\operatorname{" + name.replace("_", r"\_") + "}"


def _make(name: str, definition: sp.Expr | None, slope: sp.Expr) -> type:
    latex = _latex_name(name)
    cls = type(name, (ActivationBase,), {"definition": definition, "display_names": (name, latex),
                                      "__module__": __name__})
    cls.derivative_class = type(f"{name}_prime", (ActivationDerivativeBase,), {
        "activation": cls, "expression": slope, "display_names": (f"{name}'", f"{latex}'"), "__module__": __name__})
    return cls


