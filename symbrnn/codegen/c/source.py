"""The BPTT plan written in C: the same forward and backward loops as the Python program, for a C compiler.

:func:`c_source` writes a :class:`~symbrnn.codegen.plan.BPTTPlan` as two C
functions: ``bptt`` (one sequence) and ``bptt_batch`` (N sequences, each
with its own or shared params). Like the Python text, it does not depend on
T. Expressions are printed by sympy's C99 printer; symbrnn's own functions
(sigmoid, relu, softmax, logsumexp) become small C helpers written out in
the same file (:data:`symbrnn.declare.forms.C_HELPERS`, the same stable forms as every backend).

Examples
--------
>>> from symbrnn.codegen.plan import BPTTPlan
>>> from symbrnn.cells import elman
>>> src = c_source(BPTTPlan(elman()), name="elman")
>>> print(src[src.index("double bptt("):src.index("    double _g_w")])
double bptt(long _steps, const double *_seq, const double *_p, const double *_init, double *_store, double *_grad)
{
    const double w = _p[0], U = _p[1], V = _p[2], b = _p[3], c = _p[4];
    double *_s_h = _store + 0 * (_steps + 1);
    double *_s_yhat = _store + 1 * (_steps + 1);
    double h_prev = _init[0];
    double _loss = 0.0;
    _s_h[0] = h_prev;
    for (long _t = 1; _t <= _steps; _t++) {
        const double x = _seq[0 * _steps + _t - 1];
        const double y = _seq[1 * _steps + _t - 1];
        const double a = U*h_prev + b + w*x;
        const double h = tanh(a);
        const double yhat = V*h + c;
        const double L = (1.0/2.0)*pow(-y + yhat, 2.0);
        _loss += L;
        _s_h[_t] = h;
        _s_yhat[_t] = yhat;
        h_prev = h;
    }
<BLANKLINE>
"""

from __future__ import annotations

import re

import sympy as sp
from sympy.printing.c import C99CodePrinter
from sympy.printing.codeprinter import PrintMethodNotImplementedError

from ...core import errors
from ...declare.activations import VARIABLE, refusal
from ...declare.forms import C_HELPERS
from ..plan import BPTTPlan
from ..printing import code_symbol

__all__ = ["C_RESERVED", "c_source"]

_KEYWORDS = """auto break case char const continue default do double else enum extern float for goto if inline int
long register restrict return short signed sizeof static struct switch typedef union unsigned void volatile while
bptt bptt_batch main""".split()
_MATH = """acos acosh asin asinh atan atan2 atanh cbrt ceil copysign cos cosh erf erfc exp exp2 expm1 fabs fdim floor
fma fmax fmin fmod hypot log log10 log1p log2 pow round sin sinh sqrt tan tanh tgamma lgamma trunc
NAN INFINITY HUGE_VAL HUGE_VALF HUGE_VALL FP_NAN FP_INFINITE FP_ZERO FP_SUBNORMAL FP_NORMAL FP_ILOGB0 FP_ILOGBNAN
MATH_ERRNO MATH_ERREXCEPT math_errhandling""".split()  # functions and macros of <math.h>
#: names the generated C reads or calls; a quantity's identifier that is one of these gets a suffix
C_RESERVED = frozenset(_KEYWORDS + _MATH + list(C_HELPERS))


class _CPrinter(C99CodePrinter):
    """C99 with symbrnn's functions as calls to the helpers above; anything else unknown is refused."""

    def __init__(self):
        super().__init__({"strict": True})
        self.helpers = set()
        self.user: dict[str, str] = {}  # researchers' activations: C name -> definition

    def _print_Integer(self, e):
        # a double literal: C would read a bare integer past 2**63 as a truncated integer type
        return repr(float(e)) if abs(int(e)) > 2**53 else f"{int(e)}.0"

    def _print_Pi(self, e):
        return repr(float(sp.pi))  # M_PI is not in C99's <math.h>

    def _helper(self, name: str, args: str) -> str:
        self.helpers.add(name)
        return f"{name}({args})"

    def _print_sigmoid(self, e):
        return self._helper("symbrnn_sigmoid", self._print(e.args[0]))

    def _print_relu(self, e):
        return self._helper("symbrnn_relu", self._print(e.args[0]))

    def _print_Softmax(self, e):
        z = ", ".join(self._print(v) for v in e.args[1:])
        return self._helper("symbrnn_softmax", f"{int(e.args[0])}, {len(e.args) - 1}, (const double[]){{{z}}}")

    def _print_logsumexp(self, e):
        z = ", ".join(self._print(v) for v in e.args)
        return self._helper("symbrnn_logsumexp", f"{len(e.args)}, (const double[]){{{z}}}")

    def _print_ActivationBase(self, e):
        return self._user(e.func, e.func.definition, e.args[0])

    def _print_ActivationDerivativeBase(self, e):
        closed = e.func.activation.definition is not None or not e.func.written().has(e.func.activation)
        return self._user(e.func, e.func.written() if closed else None, e.args[0])

    def _user(self, f, body, arg) -> str:
        """A call of a researcher's activation (or its derivative), written once as a C function of z."""
        name = f"symbrnn_user_{f.__name__}"
        if name not in self.user:
            owner = getattr(f, "activation", f).__name__
            if body is None:
                raise errors.BackendError(refusal(owner, "c"))
            self.user[name] = ""  # its body may call other helpers, never itself
            value = self._print(body.xreplace({VARIABLE: sp.Symbol("z", real=True)}))
            self.user[name] = f"static double {name}(double z)\n{{\n    return {value};\n}}"
        return f"{name}({self._print(arg)})"


def _c_names(plan: BPTTPlan) -> dict[sp.Symbol, sp.Symbol]:
    """Renames for identifiers that C reads as a keyword or a function the program calls."""
    taken = set(plan.ident.values())
    out = {}
    for name in sorted(n for n in taken if n in C_RESERVED or n.startswith(("M_", "symbrnn_"))):
        new = name + "_v"
        while new in taken or new in C_RESERVED:
            new += "_"
        taken.add(new)
        out[code_symbol(name)] = code_symbol(new)
    return out


def c_source(plan: BPTTPlan, *, name: str) -> str:
    """The plan as C: ``double bptt(...)`` for one sequence and ``void bptt_batch(...)`` for N.

    Parameters
    ----------
    plan : BPTTPlan
    name : str
        The cell's name, for the comment at the top.

    Raises
    ------
    BackendError
        If the cell uses a function the C printer does not know.
    """
    pr = _CPrinter()
    rename = _c_names(plan)
    ids = {k: rename.get(code_symbol(v), code_symbol(v)).name for k, v in plan.ident.items()}

    def code(e) -> str:
        try:
            return pr.doprint(e.xreplace(rename))
        except PrintMethodNotImplementedError as exc:
            what = str(exc).splitlines()[0].rpartition(": ")[2]
            raise errors.BackendError(
                f"backend='c' cannot write {what!r} (in cell {name!r}) in C; use backend='python' or 'numpy'"
            ) from None

    body = _bptt_function(plan, ids, code)
    batch = _batch_function(len(plan.data), len(plan.params) + len(plan.states))
    helpers = [C_HELPERS[h] for h in sorted(pr.helpers)]
    helpers += [f"static double {h}(double z);" for h in sorted(pr.user)] + [pr.user[h] for h in sorted(pr.user)]
    shown = re.sub(r"[^A-Za-z0-9_.-]", "_", name)  # a name is data: nothing of it may end the comment
    head = [f"/* The BPTT program of cell '{shown}', generated by symbrnn: a forward loop, then a backward loop."
            " Independent of T. */", "#include <math.h>", ""]
    return "\n".join(head + [*(h + "\n" for h in helpers), body, "", batch]) + "\n"


def _bptt_function(plan: BPTTPlan, n: dict, code) -> str:
    data, params, states, stored = plan.data, plan.params, plan.states, plan.stored
    lines = ["double bptt(long _steps, const double *_seq, const double *_p, const double *_init, double *_store,"
             " double *_grad)", "{"]
    if params:
        lines.append(f"    const double {', '.join(f'{n[p]} = _p[{i}]' for i, p in enumerate(params))};")
    lines += [f"    double *_s_{n[q]} = _store + {i} * (_steps + 1);" for i, q in enumerate(stored)]
    lines += [f"    double {n[s + '.prev']} = _init[{i}];" for i, s in enumerate(states)]
    lines += ["    double _loss = 0.0;"]
    lines += [f"    _s_{n[s]}[0] = {n[s + '.prev']};" for s in plan.prevs]
    lines += ["    for (long _t = 1; _t <= _steps; _t++) {"]
    lines += [f"        const double {n[d]} = _seq[{i} * _steps + _t - 1];" for i, d in enumerate(data)]
    lines += [f"        const double {n[q]} = {code(e)};" for q, e in plan.forward]
    lines += [f"        _loss += {n[plan.loss]};"]
    lines += [f"        _s_{n[q]}[_t] = {n[q]};" for q in stored]
    lines += [f"        {n[s + '.prev']} = {n[s]};" for s in states]
    lines += ["    }"]
    lines += [f"    double _g_{n[p]} = 0.0;" for p in params]
    lines += [f"    double _k_{n[s]} = 0.0;" for s in states]
    lines += ["    for (long _t = _steps; _t >= 1; _t--) {"]
    lines += [f"        const double {n[d]} = _seq[{data.index(d)} * _steps + _t - 1];" for d in plan.back_data]
    lines += [f"        const double {n[q]} = _s_{n[q]}[_t];" for q in plan.back_stored]
    lines += [f"        const double {n[s + '.prev']} = _s_{n[s]}[_t - 1];" for s in plan.prevs]
    lines += [f"        const double {code(sym)} = {code(e)};" for sym, e in plan.temps]

    def times(v, e) -> str:
        factor = code(e)
        if v is None:
            return factor
        return f"_d_{n[v]}*{factor}" if factor.isidentifier() else f"_d_{n[v]}*({factor})"

    for s, parts in plan.deltas:
        lines.append(f"        const double _d_{n[s]} = {' + '.join([f'_k_{n[s]}'] + [code(e) for e in parts])};")
    for p, parts in plan.grads:
        if parts:
            lines.append(f"        _g_{n[p]} += {' + '.join(times(v, e) for v, e in parts)};")
    for s, parts in plan.carries:
        lines.append(f"        _k_{n[s]} = {' + '.join(times(v, e) for v, e in parts) if parts else '0.0'};")
    lines += ["    }"]
    outputs = [f"_g_{n[p]}" for p in params] + [f"_k_{n[s]}" for s in states]
    lines += [f"    _grad[{i}] = {g};" for i, g in enumerate(outputs)]
    lines += ["    return _loss;", "}"]
    return "\n".join(lines)


def _batch_function(n_data: int, n_out: int) -> str:
    return f"""void bptt_batch(long _n, long _steps, const double *_seq, const double *_p, long _p_step,
                const double *_init, long _init_step, double *_store, double *_grad, double *_loss)
{{
    for (long _k = 0; _k < _n; _k++)
        _loss[_k] = bptt(_steps, _seq + _k * {n_data} * _steps, _p + _k * _p_step, _init + _k * _init_step,
                         _store, _grad + _k * {n_out});
}}"""
