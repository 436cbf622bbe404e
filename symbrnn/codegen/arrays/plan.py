"""The BPTT program written with array operations: a matrix product per step, not a scalar per component.

A cell declared with vectors and matrices keeps, beside its components, how
each Tensor was made (:attr:`symbrnn.declare.tensor.Tensor.op`: ``W @ x``,
``+``, ``tanh``, a slice, ...). :class:`ArrayPlan` writes one step of the
cell as numpy statements over whole arrays, then the backward step by a rule
per operation, from the matrix derivation's own table
(:mod:`symbrnn.derive.matrix.rules`, written as code by :mod:`.rules`: the adjoint of ``W @ x`` is
``outer(g, x)`` for W and ``g @ W`` (Wᵀ·g, no transpose) for x; of ``tanh(a)``,
``g * (1 - out**2)`` from sympy's derivative; of a slice, g scattered into
zeros; ...). Scalar quantities (the loss, usually) are differentiated with
sympy and written back as array expressions where every component has the
same form (``h - y`` for ``Σ (h_k - y_k)²/2``, see :mod:`.scalars`), else
component by component. The work is linear in the cell's operations and
independent of T, so hidden sizes in the hundreds are practical. The tests
pin its numbers to the componentwise engine.

Examples
--------
>>> from symbrnn.cells import elman
>>> plan = ArrayPlan(elman(2, 3, 1))
>>> print(plan.source[plan.source.index("    for t in range(1, T + 1)"):plan.source.index("    _g_w =")])
    for t in range(1, T + 1):
        x = _seq_x[t - 1]
        y = _seq_y[t - 1]
        _v0 = w @ x
        _v1 = U @ h_prev
        _v2 = _v0 + _v1
        a = _v2 + b
        h = tanh(a)
        _v3 = V @ h
        yhat = _v3 + c
        _v4 = yhat - y
        _v5 = _v4 * _v4
        _v6 = sum(_v5)
        L = _v6 / 2
        _loss = _loss + L
        _s_h_prev[t] = h_prev
        _s_h[t] = h
        _s__v4[t] = _v4
        h_prev = h
<BLANKLINE>
"""

from __future__ import annotations

import re

import numpy as np
import sympy as sp

from ...core.kinds import INPUT, LOSS, PARAM, STATE, TARGET
from ...core.symbols import now, param, prev
from ...declare.cell import Cell
from ...declare.tensor import Tensor
from ...declare.tensortext import key_text
from ..printing import CodePrinter, identifiers
from .peephole import joined
from .rules import OPERATIONS, Unsupported, adjoint_code, is_elementwise
from .scalars import ScalarCode

__all__ = ["ArrayPlan", "Unsupported"]


_BINARY = {"+", "-", "*", "/"}


class _Record:
    """One statement of the forward step: ``var = <op>(operands)``."""

    __slots__ = ("var", "kind", "operands", "extra", "shape")

    def __init__(self, var, kind, operands, extra, shape):
        self.var, self.kind, self.operands, self.extra, self.shape = var, kind, operands, extra, shape


class ArrayPlan:
    """One shaped cell's forward and backward step as numpy statements over whole arrays.

    Parameters
    ----------
    cell : Cell
        A cell with shaped quantities whose Tensors were built by Tensor
        operations (:class:`Unsupported` is raised otherwise).

    Attributes
    ----------
    source : str
        ``def bptt(T, data..., params..., initial states...)``, returning the
        total loss and the gradients (params', then per initial state), each
        an array of its quantity's shape.
    forward_lines, backward_lines : list of str
        The statements of one forward step and one backward step (for other writers, e.g. JAX).
    stored, back_data : list of str
        The variables the backward step reads back, and the data it reads.
    constants : list of (str, str)
        Constant arrays, defined once before the loops.
    """

    def __init__(self, cell: Cell):
        self.cell = cell
        ids = identifiers(cell)
        self.ident = {n: ids[param(n) if cell.kind(n) == PARAM else now(n)].name for n in cell.names()}
        self.ident.update({f"{s}.prev": ids[prev(s)].name for s in cell.names(STATE)})
        order = cell.order()
        self.states = tuple(n for n in order if cell.kind(n) == STATE)
        self.data = cell.names(INPUT) + cell.names(TARGET)
        self.params = cell.names(PARAM)
        self.loss = next(n for n in cell.names(LOSS))
        self._pr = CodePrinter()
        self._records: list[_Record] = []
        self._vars: dict[tuple, str] = {}  # each expression's variable, by structure
        self._shape: dict[str, tuple] = {}
        self._needs: dict[str, bool] = {}
        self._count = 0
        self.scalars = ScalarCode(cell, self.ident, self._shape, self._needs)
        for n in self.data:
            self._leaf_var(self.ident[n], cell.shape(n), False)
        for p in self.params:
            self._leaf_var(self.ident[p], cell.shape(p), True)
        for s in self.states:
            self._leaf_var(self.ident[f"{s}.prev"], cell.shape(s), True)
        for n in order:
            self._define(n)
        self.source = self._write()

    # ------------------------------------------------------------------ forward
    def _leaf_var(self, var: str, shape: tuple, needs: bool) -> None:
        self._shape[var], self._needs[var] = tuple(shape), needs

    def _temp(self) -> str:
        self._count += 1
        return f"_v{self._count - 1}"

    def _add(self, var, kind, operands, extra, shape) -> str:
        needs = any(self._needs.get(o[1], False) if o[0] == "t" else self.scalars.needs(o[1]) for o in operands)
        self._shape[var], self._needs[var] = tuple(shape), needs
        self._records.append(_Record(var, kind, operands, extra, tuple(shape)))
        return var

    def _define(self, n: str) -> str:
        e, var = self.cell.expr(n), self.ident[n]
        if isinstance(e, Tensor):
            got = self._emit(e, root=var)
            if got != var:  # the quantity is another one under a new name
                self._add(var, "alias", [("t", got)], None, e.shape)
        else:
            self._add(var, "scalar", [("s", e)], None, ())
        return var

    def _emit(self, t: Tensor, root: str | None = None) -> str:
        if t.key in self._vars:  # the same expression written twice is computed once
            return self._vars[t.key]
        if t.op == "leaf":
            var = self._leaf(*t.extra, t.shape)
        elif t.op == "const":
            var = self._constant(t)
        else:
            operands, extra = self._operands(t)
            var = self._add(root or self._temp(), t.op, operands, extra, t.shape)
        self._vars[t.key] = var
        return var

    def _operands(self, t: Tensor) -> tuple[list, object]:
        if t.op == "map" and not is_elementwise(t.extra):
            raise Unsupported(f"the elementwise function {getattr(t.extra, '__name__', t.extra)!r}")
        if t.op == "reduce" and getattr(t.extra, "__name__", None) != "logsumexp":
            raise Unsupported(f"the reduction {getattr(t.extra, '__name__', t.extra)!r}")
        if t.op not in OPERATIONS:
            raise Unsupported(f"the tensor operation {t.op!r}")
        if t.op == "**" and (isinstance(t.args[1], Tensor) or not sp.sympify(t.args[1]).is_Number):
            raise Unsupported("a power whose exponent is not a number")
        if t.op == "getitem" and any(k is None for k in t.extra):
            raise Unsupported(f"the index {key_text(t.extra)!r} (only whole numbers and slices)")
        return [self._operand(a) for a in t.args], t.extra

    def _operand(self, value) -> tuple:
        if isinstance(value, Tensor):
            return ("t", self._emit(value))
        return ("s", value)

    def _constant(self, value: Tensor) -> str:
        if not all(c.is_Number for c in value.flat()):
            raise Unsupported(f"a {value.shape} tensor built from its components, not by Tensor operations")
        var = self._temp()
        self._shape[var], self._needs[var] = value.shape, False
        self._records.append(_Record(var, "const", [], np.array(value.tolist(), dtype=float), value.shape))
        return var

    def _leaf(self, name: str, lag, shape) -> str:
        cell = self.cell
        if name not in cell.names() or cell.shape(name) != tuple(shape) or lag not in ("param", "now", "prev"):
            raise Unsupported(f"a tensor named {name!r} that is not a quantity of cell {cell.name!r}")
        var = self.ident[f"{name}.prev" if lag == "prev" else name]
        if var not in self._shape:
            raise Unsupported(f"{name!r} read before it is computed")  # pragma: no cover - the step order prevents it
        return var

    # ------------------------------------------------------------------ backward
    def _backward(self) -> tuple[list[str], set]:
        lines: list[str] = []
        adj: dict[str, str] = {}

        def acc(var: str, code: str) -> None:
            if not self._needs.get(var, False):
                return
            own = f"_a_{var}"
            if var not in adj:
                if code.isidentifier():  # another adjoint as it is: share its name (nothing rebinds it later)
                    adj[var] = code
                else:
                    adj[var] = own
                    lines.append(f"{own} = {code}")
            else:  # a shared name is never rebound: the sum gets the quantity's own name
                lines.append(f"{own} = {adj[var]} + {code}")
                adj[var] = own

        for s in self.states:  # dL/ds_t through step t + 1, carried back
            adj[self.ident[s]] = f"_k_{self.ident[s]}"
        adj[self.ident[self.loss]] = "1.0"
        for rec in reversed(self._records):
            if rec.var in adj and self._needs.get(rec.var, False):
                self._adjoint(rec, adj[rec.var], acc)
        for p in self.params:
            if self.ident[p] in adj:
                lines.append(f"_g_{self.ident[p]} = _g_{self.ident[p]} + {adj[self.ident[p]]}")
        carried = [(f"_k_{self.ident[s]}", adj.get(self.ident[f"{s}.prev"], f"_zero_{self.ident[s]}"))
                   for s in self.states]
        names = {k for k, _ in carried}
        if any(got in names for _, got in carried):  # a carry reads another's old name: assign them all at once
            lines.append(f"{', '.join(k for k, _ in carried)} = {', '.join(g for _, g in carried)}")
        else:
            lines += [f"{k} = {got}" for k, got in carried]
        return lines

    def _adjoint(self, rec: _Record, g: str, acc) -> None:
        v, kind, ops, shape = rec.var, rec.kind, rec.operands, rec.shape
        if kind == "scalar":
            self.scalars.adjoint(ops[0][1], g, acc)
            return
        if kind == "alias":
            acc(ops[0][1], g)
            return
        if kind == "const":
            return
        codes = adjoint_code(kind, ops, shape, rec.extra, g=g, out=v, shapes=self._shape, scalar=self._scalar)
        for op, share in zip(ops, codes, strict=True):  # the rule table of the matrix derivation, as code
            if share is None:
                continue
            if op[0] == "t":
                acc(op[1], share)
            else:
                self.scalars.adjoint(op[1], f"({share})", acc)

    # ------------------------------------------------------------------ the program
    def _write(self) -> str:
        n = self.ident
        back = joined(self._backward())  # a gate vector's adjoint: one concatenate, not a scatter per slice
        fwd = [self._statement(r) for r in self._records]
        used = set()
        for line in back:
            used.update(_names(line))
        consts = {r.var for r in self._records if r.kind == "const"}
        data = [d for d in self.data if n[d] in used]
        stored = [v for v in self._shape if v in used and v not in consts and not self._is_param(v)
                  and v not in {n[d] for d in self.data}]
        args = [f"_seq_{n[d]}" for d in self.data] + [n[p] for p in self.params]
        args += [f"_init_{n[s]}" for s in self.states]
        self.forward_lines, self.backward_lines = [line for line in fwd if line], back
        self.stored, self.back_data = stored, data
        self.constants = [(r.var, _array_code(r.extra)) for r in self._records if r.kind == "const"]
        lines = [f"def bptt(T, {', '.join(args)}):"]
        lines += [f"    {var} = {code}" for var, code in self.constants]
        lines += [f"    _zero_{n[s]} = zeros({self.cell.shape(s)!r})" for s in self.states]
        lines += [f"    _s_{v} = [None] * (T + 1)" for v in stored]
        lines += [f"    {n[s + '.prev']} = _init_{n[s]}" for s in self.states]
        lines += ["    _loss = 0.0", "    for t in range(1, T + 1):"]
        lines += [f"        {n[d]} = _seq_{n[d]}[t - 1]" for d in self.data]
        lines += [f"        {line}" for line in self.forward_lines]
        lines += [f"        _loss = _loss + {n[self.loss]}"]
        lines += [f"        _s_{v}[t] = {v}" for v in stored]
        lines += [f"        {n[s + '.prev']} = {n[s]}" for s in self.states]
        loop, buffers, after = self._hoisted(back)
        lines += [f"    _g_{n[p]} = zeros({self.cell.shape(p)!r})" for p in self.params]
        lines += [f"    {line}" for line in buffers]
        lines += [f"    _k_{n[s]} = _zero_{n[s]}" for s in self.states]
        lines += ["    for t in range(T, 0, -1):"]
        lines += [f"        {n[d]} = _seq_{n[d]}[t - 1]" for d in data]
        lines += [f"        {v} = _s_{v}[t]" for v in stored]
        lines += [f"        {line}" for line in loop]
        lines += [f"    {line}" for line in after]
        outputs = [f"_g_{n[p]}" for p in self.params] + [f"_k_{n[s]}" for s in self.states]
        lines.append(f"    return _loss, [{', '.join(outputs)}]")
        return "\n".join(lines) + "\n"

    def _hoisted(self, back: list[str]) -> tuple[list, list, list]:
        """The backward loop with each weight's per-step outer product moved after it: Σ_t a_t b_tᵀ = Aᵀ·B.

        A param whose step share is ``outer(a, b)`` and nothing else keeps a_t and b_t, one row per
        step, in buffers made once; one matrix product after the loop gives its gradient, where the
        loop made (and added) an outer product at every step. Returns (loop lines, buffers, after).
        """
        loop, buffers, after = list(back), [], []
        for p in self.params:
            P = self.ident[p]
            add, share = f"_g_{P} = _g_{P} + _a_{P}", f"_a_{P} = outer("
            defs = [line for line in loop if line.startswith(share)]
            if add not in loop or len(defs) != 1 or sum(f"_a_{P}" in _names(line) for line in loop) != 2:
                continue
            a, b = (x.strip() for x in defs[0][len(share):-1].split(","))
            shapes = [self._shape.get(v.removeprefix("_a_")) for v in (a, b)]
            if not all(v.isidentifier() for v in (a, b)) or any(len(sh or ()) != 1 for sh in shapes):
                continue
            at = loop.index(defs[0])
            loop[at:at + 1] = [f"_o_{P}_a[t - 1] = {a}", f"_o_{P}_b[t - 1] = {b}"]
            loop.remove(add)
            buffers += [f"_o_{P}_a = empty((T, {shapes[0][0]}))", f"_o_{P}_b = empty((T, {shapes[1][0]}))"]
            after.append(f"_g_{P} = _o_{P}_a.T @ _o_{P}_b")
        for p in self.params:  # a bias whose step share a buffer already keeps: one sum after the loop
            P = self.ident[p]
            adds = [line for line in loop if line.startswith(f"_g_{P} = _g_{P} + ")]
            share = adds[0].rsplit(" + ", 1)[1] if len(adds) == 1 else ""
            kept = [line.split("[", 1)[0] for line in loop if line.startswith("_o_") and line.endswith(f"] = {share}")]
            if share.isidentifier() and kept and sum(f"_g_{P}" in _names(line) for line in loop) == 1:
                loop.remove(adds[0])
                after.append(f"_g_{P} = sum({kept[0]}, axis=0)")
        return loop, buffers, after

    def _scalar(self, e) -> str:
        """A scalar operand's code, in parentheses unless it is a name or a whole or decimal number >= 0."""
        code = self.scalars.code(e)
        plain = e.is_Symbol or ((e.is_Integer or e.is_Float) and e >= 0)
        return code if plain else f"({code})"

    def _is_param(self, var: str) -> bool:
        return var in {self.ident[p] for p in self.params}

    def _statement(self, r: _Record) -> str:
        ops = [o[1] if o[0] == "t" else self._scalar(o[1]) for o in r.operands]
        if r.kind == "const":
            return ""
        if r.kind == "scalar":
            return f"{r.var} = {self.scalars.sum_code(r.operands[0][1])}"
        if r.kind == "alias":
            return f"{r.var} = {ops[0]}"
        if r.kind in _BINARY or r.kind in ("@", "**"):
            return f"{r.var} = {ops[0]} {r.kind} {ops[1]}"
        if r.kind == "neg":
            return f"{r.var} = -{ops[0]}"
        if r.kind == "T":
            return f"{r.var} = {ops[0]}.T"
        if r.kind == "getitem":
            return f"{r.var} = {ops[0]}[{key_text(r.extra)}]"
        if r.kind == "sum":
            return f"{r.var} = {ops[0]}.sum(axis={r.extra!r})" if r.extra is not None else f"{r.var} = sum({ops[0]})"
        if r.kind == "map":
            return f"{r.var} = {self._pr.doprint(r.extra(sp.Symbol(ops[0])))}"
        if r.kind == "fill":
            return f"{r.var} = full({r.shape!r}, {ops[0]})"
        if r.kind == "reduce":
            return f"{r.var} = _logsumexp({ops[0]})"
        return f"{r.var} = _softmax({ops[0]})"  # softmax


def _names(line: str) -> set:
    return set(re.findall(r"[A-Za-z_][A-Za-z_0-9]*", line))


def _array_code(values: np.ndarray) -> str:
    return f"array({values.tolist()!r}, dtype=float64)"
