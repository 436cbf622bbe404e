"""Cell files (TOML) and values files (TOML or JSON): data from anyone, loaded safely.

A cell file declares a cell with its equations as text; the text is parsed by
:func:`symbrnn.declare.equations.parse_equation` (a whitelist over Python's ``ast``),
never evaluated. Every error names the file, the key (and line when it can be
found), the problem and the fix.

A cell file (:data:`EXAMPLE` is the seed 002 Elman cell) lists ``inputs``,
``targets`` and ``params``, then tables ``[states]`` (``h = { init = 0,
update = "tanh(a)" }``), ``[nodes]`` (``a = "w*x + U*h.prev + b"``) and
``[loss]`` (``L = "(yhat - y)**2 / 2"``).

Vectors and matrices: ``inputs``, ``targets`` and ``params`` may be tables of
shapes instead of lists of names (``W = [4, 2]``, ``b = 4``, ``s = []`` for a
scalar), a state takes ``shape = 3`` and an ``init`` that is a number, a list
or a param's name, and each node takes the shape of its equation (nodes may
come in any order). See ``examples/cells/lstm.toml``. A cross-entropy's target
declares what its rows are, ``y = { shape = 3, distribution = "probabilities" }``
(or ``"one_hot"``), and other values are refused.

Values file: the names of params (numbers) and per-step data (lists), e.g.
``w = 0.5`` and ``x = [1.0, 0.8, 0.6]`` in TOML, or the same as a JSON object;
vectors and matrices as nested lists.

Examples
--------
>>> cell = load_cell_text(EXAMPLE, "elman.toml")
>>> print(cell.expr("a"))
U*h_{t-1} + b + w*x_t
>>> load_cell_text('name = "bad"\\nparams = ["w"]\\n[loss]\\nL = "w.__class__"\\n', "bad.toml")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
symbrnn.EquationError: bad.toml:4: loss.L: attribute access .__class__ is not allowed; only STATE.prev, ...
"""

from __future__ import annotations

import math
import re
import stat
from pathlib import Path

import networkx as nx

from ..core import errors
from ..core.kinds import DISTRIBUTION, INPUT, LOSS, NODE, PARAM, STATE, TARGET
from ..core.symbols import now, param
from .cell import Cell
from .equations import MAX_ELEMENTS, names_in, parse_equation
from .jsontext import parse_json
from .names import check_name
from .tensor import Tensor

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["EXAMPLE", "MAX_FILE_BYTES", "load_cell", "load_cell_text", "load_values", "load_values_text"]

MAX_FILE_BYTES = 1 << 20  # 1 MiB: cell and values files are small

EXAMPLE = """\
name = "elman"
inputs = ["x"]
targets = ["y"]
params = ["w", "U", "V", "b", "c"]

[states]
h = { init = 0, update = "tanh(a)" }

[nodes]
a = "w*x + U*h.prev + b"
yhat = "V*h + c"

[loss]
L = "(yhat - y)**2 / 2"
"""

_TOP_KEYS = ("name", "description", "inputs", "targets", "params", "states", "nodes", "loss")


def read_text(path: str | Path, what: str) -> str:
    """The file's text, refusing files over :data:`MAX_FILE_BYTES` and text that is not UTF-8."""
    p = Path(path)
    try:
        if p.is_dir():
            raise errors.SpecError(f"{p}: is a folder; give the path of a {what} file")
        if not p.exists() and not p.is_symlink():
            raise errors.SpecError(f"{p}: no such {what} file")
        st = p.stat()  # a symlink loop or a dangling link: an OSError, said below
        if not stat.S_ISREG(st.st_mode):
            raise errors.SpecError(f"{p}: is not a regular file (a device, pipe or socket); give a {what} file")
        size = st.st_size
        if size > MAX_FILE_BYTES:
            raise errors.SpecError(f"{p}: the {what} file is {size:,} bytes; at most {MAX_FILE_BYTES:,} are read")
        data = p.read_bytes()[: MAX_FILE_BYTES + 1]
    except OSError as exc:
        raise errors.SpecError(f"{p}: cannot read the {what} file: {exc.strerror}") from None
    try:
        return data.decode("utf-8-sig")  # a byte-order mark, as some editors write, is not part of the text
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise errors.SpecError(
            f"{p}:{line}: the {what} file is not UTF-8 text (byte {exc.start}); save it as UTF-8"
        ) from None


def _toml(text: str, source: str) -> dict:
    try:
        return tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        raise errors.SpecError(f"{source}: not valid TOML: {exc}") from None
    except ValueError:  # an integer of more than 4,300 digits (Python's limit on converting them)
        raise errors.SpecError(f"{source}: a number in it has more than 4,300 digits; numbers are at most about"
                               " 1.8e308") from None
    except RecursionError:
        raise errors.SpecError(f"{source}: not valid TOML: it nests too deeply") from None


def _line_of(text: str, section: str | None, key: str) -> int | None:
    """The line where ``key`` is set (in ``[section]`` if given), if it can be found."""
    current = None
    pattern = re.compile(rf"^\s*\"?{re.escape(key)}\"?\s*=")
    for number, line in enumerate(text.splitlines(), 1):
        header = re.match(r"^\s*\[([^\]]+)\]\s*(#.*)?$", line)
        if header:
            current = header.group(1).strip()
            continue
        if current == section and pattern.match(line):
            return number
    return None


class _CellFile:
    def __init__(self, text: str, source: str):
        self.text, self.source = text, source
        self.data = _toml(text, source)
        self.elements = 0  # entries of the arrays declared so far (states included)
        self.distributions: dict[str, str] = {}  # target -> what its values must be

    def fail(self, section: str | None, key: str, message: str, kind=errors.SpecError):
        line = _line_of(self.text, section, key)
        where = f"{self.source}:{line}" if line else self.source
        path = f"{section}.{key}" if section else key
        return kind(f"{where}: {path}: {message}")

    def names(self, key: str) -> list[str]:
        return list(self.declared(key))

    def declared(self, key: str) -> dict[str, tuple[int, ...]]:
        """``inputs``/``targets``/``params``: a list of scalar names, or a table of name = shape."""
        value = self.data.get(key, [])
        if isinstance(value, dict):
            for n in value:
                self.checked_name(key, n)
            return {n: self.shape(key, n, self.target(n, shape) if key == "targets" else shape)
                    for n, shape in value.items()}
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(None, key, f"must be a list of names, e.g. {key} = [\"w\", \"U\"], or a table of"
                                       f" shapes, e.g. [{key}] then W = [3, 2]")
        for n in value:  # a bad name is refused here, with its line, before any equation reads it
            self.checked_name(key, n)
        seen: set = set()
        twice = [n for n in value if n in seen or seen.add(n)]  # one pass: 100,000 names stay fast
        if twice:
            raise self.fail(None, key, f"{twice[0][:64]!r} is listed twice in {key}; give each quantity once",
                            errors.DuplicateNameError)
        return {n: () for n in value}

    def checked_name(self, section: str, name: str) -> None:
        try:
            check_name(name)
        except errors.InvalidNameError as exc:
            raise self.fail(None, section, str(exc), errors.InvalidNameError) from None

    def target(self, name: str, spec):
        """A target's shape, from ``y = 3`` or ``y = { shape = 3, distribution = "probabilities" }``."""
        if not isinstance(spec, dict):
            return spec
        extra = set(spec) - {"shape", "distribution"}
        if extra or "shape" not in spec:
            raise self.fail("targets", name, 'a target table has shape and distribution, e.g. y = { shape = 3,'
                                             ' distribution = "probabilities" }')
        if spec.get("distribution") not in ("probabilities", "one_hot"):
            raise self.fail("targets", name, f"distribution {spec.get('distribution')!r}: use \"probabilities\" or"
                                             ' "one_hot"')
        self.distributions[name] = spec["distribution"]
        return spec["shape"]

    def shape(self, section: str, key: str, shape) -> tuple[int, ...]:
        ok = isinstance(shape, list) and all(type(n) is int and n > 0 for n in shape) or (
            type(shape) is int and shape > 0)
        if not ok:
            raise self.fail(section, key, f"shape {shape!r}: give 3 for a vector, [3, 2] for a matrix, [] for a"
                                          " scalar", errors.ShapeError)
        dims = (shape,) if isinstance(shape, int) else tuple(shape)
        self.elements += math.prod(dims)
        if self.elements > MAX_ELEMENTS:
            raise self.fail(section, key, f"shape {list(dims)} brings the file's arrays to {self.elements:,}"
                                          f" entries; at most {MAX_ELEMENTS:,} in a cell file", errors.ShapeError)
        return dims

    def table(self, key: str) -> dict:
        value = self.data.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(None, key, f"must be a table: [{key}] with one 'name = \"equation\"' per line")
        return value

    def equation(self, section: str, key: str, text, names: dict, states: set):
        if not isinstance(text, str):
            raise self.fail(section, key, f"must be an equation in quotes, e.g. {key} = \"w*x + b\"")
        try:
            return parse_equation(text, names, states)
        except (errors.EquationError, errors.ShapeError) as exc:
            raise self.fail(section, key, str(exc), errors.EquationError) from None

    def build(self) -> Cell:
        data = self.data
        for key in data:
            if key not in _TOP_KEYS:
                raise self.fail(None, key, f"unknown key; a cell file has: {', '.join(_TOP_KEYS)}")
        name = data.get("name", Path(self.source).stem)
        if not isinstance(name, str):
            raise self.fail(None, "name", "must be text in quotes")
        shapes = {key: self.declared(key) for key in ("inputs", "targets", "params")}
        declared = [(n, k, shapes[key][n]) for key, k in (("inputs", INPUT), ("targets", TARGET), ("params", PARAM))
                    for n in shapes[key]]
        states, nodes = self.table("states"), self.table("nodes")
        loss = data.get("loss")
        if isinstance(loss, str):
            loss = {"L": loss}
        if not isinstance(loss, dict) or len(loss) != 1:
            raise self.fail(None, "loss", 'needs exactly one per-step loss, e.g. [loss] then L = "(yhat - y)**2 / 2"',
                            errors.MissingLossError if loss is None else errors.SpecError)
        for n, spec in states.items():
            if not isinstance(spec, dict) or "update" not in spec:
                raise self.fail("states", n, 'needs an update, e.g. h = { init = 0, update = "tanh(a)" }',
                                errors.MissingUpdateError)
            extra = set(spec) - {"init", "update", "shape"}
            if extra:
                raise self.fail("states", n, f"unknown key {sorted(extra)[0]!r}; a state has shape, init and update")
        kinds = declared + [(n, STATE, self.shape("states", n, spec.get("shape", []))) for n, spec in states.items()]
        symbols = {n: _symbol(n, k, shape) for n, k, shape in kinds}
        kinds += [(n, NODE, None) for n in nodes] + [(n, LOSS, None) for n in loss]
        state_names = set(states)
        graph = nx.DiGraph(name=name)
        for n, kind, shape in kinds:
            if n in graph:
                raise self.fail(None, n, f"{n!r} is declared twice; give each quantity its own name",
                                errors.DuplicateNameError)
            graph.add_node(n, kind=kind, **({"shape": shape} if shape else {}),
                           **({DISTRIBUTION: self.distributions[n]} if n in self.distributions else {}))
        for n in self.node_order(name, nodes):  # a node's shape is its expression's: build the ones it uses first
            expr = graph.nodes[n]["expr"] = self.equation("nodes", n, nodes[n], symbols, state_names)
            symbols[n] = Tensor.symbols(n, expr.shape) if isinstance(expr, Tensor) else now(n)
        for n, spec in states.items():
            graph.nodes[n].update(init=self.init(n, spec.get("init", 0), shapes["params"], symbols),
                                  expr=self.equation("states", n, spec["update"], symbols, state_names))
        for n, text in loss.items():
            graph.nodes[n]["expr"] = self.equation("loss", n, text, symbols, state_names)
        try:
            return Cell.from_graph(graph, name=name)
        except errors.CellError as exc:
            raise type(exc)(f"{self.source}: {exc}") from None

    def node_order(self, cell: str, nodes: dict) -> list[str]:
        """The nodes in an order where each comes after the nodes its equation uses."""
        uses = nx.DiGraph()
        uses.add_nodes_from(nodes)
        for n, text in nodes.items():
            if not isinstance(text, str):
                raise self.fail("nodes", n, f"must be an equation in quotes, e.g. {n} = \"w*x + b\"")
            try:
                used = names_in(text)
            except errors.EquationError as exc:
                raise self.fail("nodes", n, str(exc), errors.EquationError) from None
            uses.add_edges_from((u, n) for u in sorted(used) if u in nodes)
        try:
            loop = nx.find_cycle(uses)
        except nx.NetworkXNoCycle:
            return list(nx.lexicographical_topological_sort(uses, key=list(nodes).index))
        path = " -> ".join([u for u, _ in loop] + [loop[0][0]])
        raise self.fail("nodes", loop[0][0], f"algebraic loop in cell {cell!r}: {path} at the same step; break it by"
                                             " using a state's previous value (h.prev) somewhere on the loop",
                        errors.AlgebraicLoopError)

    def init(self, state: str, init, params: dict, symbols: dict):
        if isinstance(init, str):
            if init not in params:
                raise self.fail("states", state, f"init {init!r} must be a number, a list of numbers or one of the"
                                                 " params")
            return symbols[init]
        if isinstance(init, list):
            flat = _flatten(init)
            if flat is None or not all(type(v) in (int, float) for v in flat):
                raise self.fail("states", state, "init must be a number, a list of numbers or the name of a param")
            if not all(_finite(v) for v in flat):
                raise self.fail("states", state, "init has a number that is not finite or too large (at most about"
                                                 " 1.8e308)")
            return init
        if isinstance(init, bool) or not isinstance(init, (int, float)):
            raise self.fail("states", state, "init must be a number, a list of numbers or the name of a param")
        if not _finite(init):
            raise self.fail("states", state, "init is not finite or too large (at most about 1.8e308)")
        return init


def _finite(v) -> bool:
    try:
        return math.isfinite(v)
    except OverflowError:  # an int beyond the largest float
        return False


def _symbol(name: str, kind: str, shape: tuple):
    if shape:
        return Tensor.symbols(name, shape, kind=kind)
    return param(name) if kind == PARAM else now(name)


def _flatten(value, depth: int = 0) -> list | None:
    """The numbers of a nested list (None if it nests deeper than a matrix)."""
    if not isinstance(value, list):
        return [value]
    if depth > 2:
        return None
    out = []
    for v in value:
        inner = _flatten(v, depth + 1)
        if inner is None:
            return None
        out.extend(inner)
    return out


def _as_text(text, source: str) -> str:
    """str as it is; bytes decoded as UTF-8 (a byte-order mark dropped); anything else refused."""
    if isinstance(text, (bytes, bytearray)):
        try:
            return bytes(text).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise errors.SpecError(f"{source}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    if not isinstance(text, str):
        raise errors.SpecError(f"{source}: give the file's text as a str (or bytes), not {type(text).__name__}")
    return text


def load_cell_text(text: str, source: str = "<cell>") -> Cell:
    """Build a cell from the text of a cell file (``source`` names it in messages); bytes are read as UTF-8."""
    return _CellFile(_as_text(text, source), source).build()


def load_cell(path: str | Path) -> Cell:
    """Load a cell file (TOML)."""
    return load_cell_text(read_text(path, "cell"), str(path))


def load_values_text(text: str, source: str = "<values>") -> dict:
    """Parse the text of a values file: JSON if ``source`` ends in .json (or it starts with {), else TOML."""
    text = _as_text(text, source)
    if source.endswith(".json") or (not source.endswith(".toml") and text.lstrip().startswith("{")):
        data = parse_json(text.removeprefix("\ufeff"), source)
    else:
        data = _toml(text, source)
    if not isinstance(data, dict):
        raise errors.SpecError(f"{source}: a values file is a table of names, e.g. w = 0.5 and x = [1.0, 0.8]")
    return data


def load_values(path: str | Path) -> dict:
    """Load a values file (TOML or JSON)."""
    return load_values_text(read_text(path, "values"), str(path))
