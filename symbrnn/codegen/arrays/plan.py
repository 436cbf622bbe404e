"""The BPTT program written with array operations: a matrix product per step, not a scalar per component.

A cell declared with vectors and matrices keeps, beside its components, how
each Tensor was made (:attr:`symbrnn.declare.tensor.Tensor.op`: ``W @ x``, ``+``,
``tanh``, a slice, ...). :class:`ArrayPlan` writes one step of the cell as
numpy statements over whole arrays, then the backward step by a rule per
operation (the adjoint of ``W @ x`` is ``outer(g, x)`` for W and ``W.T @ g``
for x; of ``tanh(a)``, ``g * (1 - out**2)``; of a slice, the slice of a zero
array; ...). Scalar quantities (the loss, usually) are differentiated with
sympy and written back as array expressions where every component has the
same form (``h - y`` for ``Σ (h_k - y_k)²/2``), else component by component.
The work is linear in the cell's operations and independent of T, so hidden
sizes in the hundreds are practical. The tests pin its numbers to the
componentwise engine.

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
        L = sum((1/2)*(-y + yhat)**2)
        _loss = _loss + L
        _s_h_prev[t] = h_prev
        _s_h[t] = h
        _s_yhat[t] = yhat
        h_prev = h
<BLANKLINE>
"""

from __future__ import annotations

import numbers
import re

import numpy as np
import sympy as sp

from ...core.symbols import Prev, now, param, prev
from ...declare.cell import INPUT, LOSS, PARAM, STATE, TARGET, Cell
from ...declare.functions import relu, sigmoid
from ...declare.tensor import Tensor, split_component
from ..printing import CodePrinter, identifiers

__all__ = ["ArrayPlan", "Unsupported"]


class Unsupported(Exception):
    """The cell cannot be written with array operations; the message says which part."""


#: the adjoint of out = f(a), given the adjoint g of out
_ADJOINTS = {
    sp.tanh: "{g} * (1 - {v}**2)", sigmoid: "{g} * {v} * (1 - {v})", sp.exp: "{g} * {v}", sp.log: "{g} / {a}",
    sp.sqrt: "{g} * 0.5 / {v}", relu: "{g} * ({a} > 0)",
}
_CALLS = {sp.tanh: "tanh", sigmoid: "sigmoid", sp.exp: "exp", sp.log: "log", sp.sqrt: "sqrt", relu: "relu"}
_BINARY = {"+", "-", "*", "/"}


def _unbroadcast_code(code: str, have: tuple, want: tuple) -> str:
    if have == want:
        return code
    if not want:
        return f"sum({code})"
    return f"_unbroadcast({code}, {want!r})"


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
        order = cell._step_order()
        self.states = tuple(n for n in order if cell.kind(n) == STATE)
        self.data = cell.names(INPUT) + cell.names(TARGET)
        self.params = cell.names(PARAM)
        self.loss = next(n for n in cell.names(LOSS))
        self._pr = CodePrinter()
        self._records: list[_Record] = []
        self._vars: dict[int, str] = {}
        self._keep: list = []  # the traced tensors stay alive, so their ids stay unique
        self._shape: dict[str, tuple] = {}
        self._needs: dict[str, bool] = {}
        self._count = 0
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
        needs = any(self._needs.get(o[1], False) if o[0] == "t" else self._scalar_needs(o[1]) for o in operands)
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
        if id(t) in self._vars:
            return self._vars[id(t)]
        op = t.op
        if op is None:
            raise Unsupported(f"a {t.shape} tensor built from its components, not by Tensor operations")
        if op[0] == "leaf":
            var = self._leaf(op[1], op[2], t.shape)
        else:
            operands, extra = self._operands(op)
            var = self._add(root or self._temp(), op[0], operands, extra, t.shape)
        self._vars[id(t)] = var
        self._keep.append(t)
        return var

    def _operands(self, op) -> tuple[list, object]:
        kind = op[0]
        if kind in _BINARY or kind in ("@", "**"):
            return [self._operand(op[1]), self._operand(op[2])], None
        if kind == "map":
            if op[1] not in _CALLS:
                raise Unsupported(f"the elementwise function {getattr(op[1], '__name__', op[1])!r}")
            return [self._operand(op[2])], op[1]
        if kind in ("neg", "T", "softmax"):
            return [self._operand(op[1])], None
        if kind == "getitem":
            return [self._operand(op[1])], _plain_key(op[2])
        if kind == "sum":
            return [self._operand(op[1])], op[2]
        raise Unsupported(f"the tensor operation {kind!r}")  # pragma: no cover - every recorded kind is above

    def _operand(self, value) -> tuple:
        if isinstance(value, Tensor):
            if value.op is None and all(c.is_Number for c in value.flat()):
                return ("t", self._constant(value))
            return ("t", self._emit(value))
        return ("s", value)

    def _constant(self, value: Tensor) -> str:
        var = self._temp()
        self._shape[var], self._needs[var] = value.shape, False
        self._records.append(_Record(var, "const", [], np.array(value.tolist(), dtype=float), value.shape))
        self._vars[id(value)] = var
        self._keep.append(value)
        return var

    def _leaf(self, name: str, lag: str, shape) -> str:
        cell = self.cell
        if name not in cell.names() or cell.shape(name) != tuple(shape):
            raise Unsupported(f"a tensor named {name!r} that is not a quantity of cell {cell.name!r}")
        var = self.ident[f"{name}.prev" if lag == "prev" else name]
        if var not in self._shape:
            raise Unsupported(f"{name!r} read before it is computed")  # pragma: no cover - the step order prevents it
        return var

    # ------------------------------------------------------------------ scalars
    def _where(self, u: sp.Symbol) -> tuple[str, tuple | None]:
        """The variable a symbol of a scalar expression reads, and the component index (None: all of it)."""
        base, index = split_component(u.name) or (u.name, None)
        if base not in self.cell.names():
            raise Unsupported(f"the symbol {u} in a scalar expression")
        var = self.ident[f"{base}.prev"] if isinstance(u, Prev) else self.ident[base]
        return var, index

    def _scalar_needs(self, e) -> bool:
        return any(self._needs.get(self._where(u)[0], False) for u in e.free_symbols)

    def _code(self, e) -> str:
        """A scalar expression as numpy code: components are array elements (``h[0]``, ``W[1, 0]``)."""
        names = {}
        for u in e.free_symbols:
            var, index = self._where(u)
            names[u] = sp.Symbol(var if index is None else f"{var}[{', '.join(map(str, index))}]")
        return self._pr.doprint(e.xreplace(names))

    def _sum_code(self, e) -> str:
        """A scalar expression, with every sum over all the components of arrays written as ``sum(array expr)``."""
        terms = sp.Add.make_args(e)
        groups: dict = {}
        rest = []
        for term in terms:
            found = self._template(term)
            if found is None:
                rest.append(term)
            else:
                groups.setdefault(found[0], []).append((found[1], term))
        parts = []
        for (tmpl, shape), members in groups.items():
            if sorted(k for k, _ in members) == list(range(int(np.prod(shape)))):
                parts.append(f"sum({self._pr.doprint(tmpl)})")
            else:
                rest.extend(term for _, term in members)
        if rest or not parts:
            parts.insert(0, self._code(sp.Add(*rest)))
        return " + ".join(parts)

    def _template(self, e):
        """(template, size), flat index: ``e`` with every component at one flat index k replaced by its array."""
        comps = [u for u in e.free_symbols if split_component(u.name)]
        if not comps:
            return None
        shapes, index = set(), set()
        for u in comps:
            base, idx = split_component(u.name)
            shapes.add(self.cell.shape(base))
            index.add(idx)
        if len(shapes) != 1 or len(index) != 1:
            return None
        shape, idx = shapes.pop(), index.pop()
        swap = {u: sp.Symbol(self._where(u)[0]) for u in comps}
        for u in e.free_symbols - set(comps):
            var, _ = self._where(u)
            swap[u] = sp.Symbol(var)
        return (e.xreplace(swap), shape), int(np.ravel_multi_index(idx, shape))

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
            self._scalar_adjoint(ops[0][1], g, acc)
            return
        if kind == "alias":
            acc(ops[0][1], g)
            return
        if kind == "const":
            return
        code = [o[1] if o[0] == "t" else f"({self._code(o[1])})" for o in ops]
        shapes = [self._shape[o[1]] if o[0] == "t" else () for o in ops]

        def give(i: int, expr: str) -> None:  # the adjoint expr (of shape `shape`) flows to operand i
            op = ops[i]
            reduced = _unbroadcast_code(expr, shape, shapes[i])
            if op[0] == "t":
                acc(op[1], reduced)
            else:
                self._scalar_adjoint(op[1], f"({reduced})", acc)

        a = code[0]
        if kind == "+":
            give(0, g)
            give(1, g)
        elif kind == "-":
            give(0, g)
            give(1, f"-{g}")
        elif kind == "*":
            give(0, f"{g} * {code[1]}")
            give(1, f"{g} * {a}")
        elif kind == "/":
            give(0, f"{g} / {code[1]}")
            give(1, f"-{g} * {v} / {code[1]}")
        elif kind == "**":
            k = ops[1][1]
            if ops[1][0] != "s" or not k.is_Number:
                raise Unsupported("a power whose exponent is not a number")
            give(0, f"{g} * ({self._pr.doprint(k)}) * {a}**({self._pr.doprint(k - 1)})")
        elif kind == "neg":
            give(0, f"-{g}")
        elif kind == "@":
            self._matmul_adjoint(g, code, shapes, acc)
        elif kind == "T":
            give(0, f"{g}.T")
        elif kind == "getitem":
            acc(ops[0][1], f"_scatter({g}, {rec.extra!r}, {shapes[0]!r})")
        elif kind == "sum":
            acc(ops[0][1], f"_spread({g}, {rec.extra!r}, {shapes[0]!r})")
        elif kind == "map":
            give(0, _ADJOINTS[rec.extra].format(g=g, v=v, a=a))
        elif kind == "softmax":
            give(0, f"{v} * ({g} - sum({g} * {v}))")

    def _matmul_adjoint(self, g: str, code: list, shapes: list, acc) -> None:
        (a, b), (sa, sb) = code, shapes
        if len(sa) == 2 and len(sb) == 1:
            acc(a, f"outer({g}, {b})")
            acc(b, f"{a}.T @ {g}")
        elif len(sa) == 1 and len(sb) == 2:
            acc(a, f"{b} @ {g}")
            acc(b, f"outer({a}, {g})")
        elif len(sa) == 2 and len(sb) == 2:
            acc(a, f"{g} @ {b}.T")
            acc(b, f"{a}.T @ {g}")
        else:  # two vectors: a scalar
            acc(a, f"{g} * {b}")
            acc(b, f"{g} * {a}")

    def _scalar_adjoint(self, e, g: str, acc) -> None:
        """The adjoint g of scalar expression e, given to every symbol it reads (arrays as a whole where possible)."""
        groups: dict[str, list] = {}
        for u in sorted(e.free_symbols, key=sp.default_sort_key):
            var, index = self._where(u)
            if not self._needs.get(var, False):
                continue
            if index is None:
                acc(var, _times(g, f"({self._code(_diff(e, u))})"))
            else:
                groups.setdefault(var, []).append((index, u))
        for var, members in groups.items():
            acc(var, _times(g, self._component_vector(e, var, members)))

    def _component_vector(self, e, var: str, members: list) -> str:
        """∂e/∂var as an array: one array expression if every component has the same form, else element by element."""
        shape = self._shape[var]
        parts = {int(np.ravel_multi_index(idx, shape)): _diff(e, u) for idx, u in members}
        size = int(np.prod(shape))
        if len(parts) == size:
            found = [self._template(d) if d != 0 else None for d in parts.values()]
            if all(f is not None for f in found) and len({f[0] for f in found}) == 1 and \
                    sorted(f[1] for f in found) == list(range(size)) and found[0][0][1] == shape:
                return f"({self._pr.doprint(found[0][0][0])})"
        entries = [self._code(parts[k]) if k in parts else "0.0" for k in range(size)]
        return f"array([{', '.join(entries)}]).reshape({shape!r})"

    # ------------------------------------------------------------------ the program
    def _write(self) -> str:
        n = self.ident
        back = self._backward()
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
        lines += [f"    _g_{n[p]} = zeros({self.cell.shape(p)!r})" for p in self.params]
        lines += [f"    _k_{n[s]} = _zero_{n[s]}" for s in self.states]
        lines += ["    for t in range(T, 0, -1):"]
        lines += [f"        {n[d]} = _seq_{n[d]}[t - 1]" for d in data]
        lines += [f"        {v} = _s_{v}[t]" for v in stored]
        lines += [f"        {line}" for line in back]
        outputs = [f"_g_{n[p]}" for p in self.params] + [f"_k_{n[s]}" for s in self.states]
        lines.append(f"    return _loss, [{', '.join(outputs)}]")
        return "\n".join(lines) + "\n"

    def _is_param(self, var: str) -> bool:
        return var in {self.ident[p] for p in self.params}

    def _statement(self, r: _Record) -> str:
        ops = [o[1] if o[0] == "t" else f"({self._code(o[1])})" for o in r.operands]
        if r.kind == "const":
            return ""
        if r.kind == "scalar":
            return f"{r.var} = {self._sum_code(r.operands[0][1])}"
        if r.kind == "alias":
            return f"{r.var} = {ops[0]}"
        if r.kind in _BINARY or r.kind in ("@", "**"):
            return f"{r.var} = {ops[0]} {r.kind} {ops[1]}"
        if r.kind == "neg":
            return f"{r.var} = -{ops[0]}"
        if r.kind == "T":
            return f"{r.var} = {ops[0]}.T"
        if r.kind == "getitem":
            return f"{r.var} = {ops[0]}[{_key_code(r.extra)}]"
        if r.kind == "sum":
            return f"{r.var} = {ops[0]}.sum(axis={r.extra!r})"
        if r.kind == "map":
            return f"{r.var} = {_CALLS[r.extra]}({ops[0]})"
        return f"{r.var} = _softmax({ops[0]})"  # softmax


def _diff(e, u):
    if e.is_Add:  # the terms without u differentiate to 0
        e = sp.Add(*[a for a in e.args if u in a.free_symbols])
    return e.diff(u)


def _times(g: str, code: str) -> str:
    return code if g == "1.0" else f"{g} * {code}"


def _names(line: str) -> set:
    return set(re.findall(r"[A-Za-z_][A-Za-z_0-9]*", line))


def _plain_key(key) -> tuple:
    """An index of whole numbers and slices as a tuple of plain ints and slices; Unsupported otherwise."""
    parts = key if isinstance(key, tuple) else (key,)

    def bound(b):
        if b is None or (isinstance(b, numbers.Integral) and not isinstance(b, bool)):
            return None if b is None else int(b)
        raise Unsupported(f"the index {key!r}")

    out = []
    for k in parts:
        if isinstance(k, slice):
            out.append(slice(bound(k.start), bound(k.stop), bound(k.step)))
        elif isinstance(k, numbers.Integral) and not isinstance(k, bool):
            out.append(int(k))
        else:
            raise Unsupported(f"the index {key!r} (only whole numbers and slices)")
    return tuple(out)


def _key_code(key: tuple) -> str:
    """An index as Python writes it inside [...]: ``0:4``, ``1, 0:2``, ``6:``, ``::2``."""

    def one(k) -> str:
        if not isinstance(k, slice):
            return str(k)
        text = f"{'' if k.start is None else k.start}:{'' if k.stop is None else k.stop}"
        return text if k.step is None else f"{text}:{k.step}"

    return ", ".join(one(k) for k in key)


def _array_code(values: np.ndarray) -> str:
    return f"array({values.tolist()!r}, dtype=float64)"
