"""A ``torch.nn.RNN``, ``nn.LSTM`` or ``nn.GRU`` in (its cell and values), its gradients out (torch's names).

This module imports torch; :mod:`symbrnn.torch` is its public face (see there for the loss and the layouts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

try:
    import torch
except ImportError as exc:  # torch is an optional extra: say so, and how to get it
    raise ImportError(
        "symbrnn.torch needs PyTorch, which is not installed: pip install torch (the CPU build will do);"
        " the rest of symbrnn works without it"
    ) from exc

from ..core import errors
from ..declare.cell import Cell
from .torchcells import MODES, READOUT, initial_names, param_names, readout_values, state_names, torch_cell

__all__ = ["LOSSES", "ModuleSpec", "from_module", "module_spec", "to_state_dict"]

#: the losses :func:`from_module` can give the cell (a torch module has none of its own)
LOSSES = ("squared_error",)
_TYPES = "torch.nn.RNN, nn.LSTM or nn.GRU"


@dataclass(frozen=True)
class ModuleSpec:
    """What of a torch recurrent module its cell depends on (and the layout of its data)."""

    mode: str
    input_size: int
    hidden_size: int
    num_layers: int
    bias: bool
    batch_first: bool


def module_spec(module) -> ModuleSpec:
    """The module's configuration, checked: a SpecError names what symbrnn cannot express, and the fix."""
    if not isinstance(module, (torch.nn.RNN, torch.nn.LSTM, torch.nn.GRU)):
        raise errors.SpecError(f"from_module: got {_type_name(module)}; give a {_TYPES}{_cell_hint(module)}")
    what = f"nn.{type(module).__name__}"
    if module.mode not in MODES:
        raise errors.SpecError(f"{what}: mode {module.mode!r} is not supported; use one of {', '.join(MODES)}")
    if module.bidirectional:
        raise errors.SpecError(f"{what}: bidirectional=True is not supported (a cell runs forward in time);"
                               " use bidirectional=False, or a second module on the reversed sequence")
    if getattr(module, "proj_size", 0):
        raise errors.SpecError(f"{what}: proj_size={module.proj_size} is not supported; use proj_size=0")
    if module.dropout and module.training and module.num_layers > 1:
        raise errors.SpecError(f"{what}: dropout={module.dropout} between layers is random in training mode;"
                               " call module.eval() (or set dropout=0) first")
    return ModuleSpec(module.mode, module.input_size, module.hidden_size, module.num_layers, bool(module.bias),
                      bool(module.batch_first))


def _type_name(obj) -> str:
    kind = type(obj)
    return f"nn.{kind.__name__}" if isinstance(obj, torch.nn.Module) else f"{kind.__module__}.{kind.__qualname__}"


def _cell_hint(obj) -> str:
    if isinstance(obj, (torch.nn.RNNCell, torch.nn.LSTMCell, torch.nn.GRUCell)):
        whole = type(obj).__name__[:-4]
        return (f" (one step is not enough: copy its weight_ih, weight_hh, bias_ih, bias_hh into an nn.{whole}'s"
                " weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0)")
    return ""


def from_module(module, x=None, y=None, *, hx=None, loss: str = "squared_error") -> tuple[Cell, dict]:
    """The cell of ``module`` and its values: params from the state_dict, and x, y, hx if given.

    Parameters
    ----------
    module : torch.nn.RNN, nn.LSTM or nn.GRU
    x, y : torch.Tensor or array-like, optional
        One sequence: (T, input_size) and (T, hidden_size), or with a batch of one.
    hx : torch.Tensor, or a pair (h0, c0) for an LSTM, optional
        The initial states, (num_layers, hidden_size) or (num_layers, 1, hidden_size).
    loss : {"squared_error"}

    Returns
    -------
    (Cell, dict)
        The cell (see :mod:`symbrnn.interop.torchcells`) and its values (float64 numpy arrays) by name.

    Raises
    ------
    SpecError
        The module is not one of the three types, or is bidirectional, has
        ``proj_size > 0`` or dropout between layers in training mode; or ``loss`` is unknown.
    ValuesError
        x, y or hx do not have one of the layouts above (a batch of more than one sequence, say).
    SequenceLengthError
        x and y have different numbers of steps.

    Examples
    --------
    >>> import torch
    >>> module = torch.nn.RNN(2, 3, nonlinearity="relu", bias=False)
    >>> cell, values = from_module(module, torch.ones(4, 2), torch.zeros(4, 3))
    >>> print(cell.expr("h"))
    relu(a_t)
    >>> {name: value.shape for name, value in values.items()}
    {'W_ih': (3, 2), 'W_hh': (3, 3), 'x': (4, 2), 'y': (4, 3)}
    >>> from_module(torch.nn.LSTM(2, 3, bidirectional=True))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    symbrnn.SpecError: nn.LSTM: bidirectional=True is not supported (...); use bidirectional=False, or ...
    """
    spec = module_spec(module)
    if loss not in LOSSES:
        raise errors.SpecError(f"from_module: loss={loss!r} is not available; use one of {', '.join(LOSSES)}"
                               " (½‖h_t − y_t‖² summed over the steps)")
    cell = torch_cell(spec.mode, spec.input_size, spec.hidden_size, num_layers=spec.num_layers, bias=spec.bias,
                      learn_init=hx is not None)
    state = module.state_dict()
    values = {ours: _array(state[theirs]) for theirs, ours in param_names(spec.mode, spec.num_layers,
                                                                         bias=spec.bias).items()}
    values.update(readout_values(spec.hidden_size, spec.num_layers))
    data = {"x": (x, spec.input_size), "y": (y, spec.hidden_size)}
    for name, (given, size) in data.items():
        if given is not None:
            values[name] = _sequence(given, name, size, spec)
    if x is not None and y is not None and len(values["x"]) != len(values["y"]):
        raise errors.SequenceLengthError(f"from_module: x has {len(values['x'])} steps but y has"
                                         f" {len(values['y'])}; give y one row per step of x")
    if hx is not None:
        values.update(_initial(hx, spec))
    return cell, values


def _array(data) -> np.ndarray:
    if isinstance(data, torch.Tensor):  # nn.Parameter too; a copy, so later training does not change the values
        return data.detach().to("cpu", torch.float64).numpy().copy()
    try:
        return np.array(data, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise errors.ValuesError(f"from_module: {type(data).__name__} is not an array; give a torch tensor") from exc


def _sequence(data, name: str, size: int, spec: ModuleSpec) -> np.ndarray:
    arr = _array(data)
    batch_axis = 0 if spec.batch_first else 1
    layout = "(1, T, size)" if spec.batch_first else "(T, 1, size)"
    if arr.ndim == 3:
        if arr.shape[batch_axis] != 1:
            raise errors.ValuesError(
                f"from_module: {name} has shape {tuple(arr.shape)}, a batch of {arr.shape[batch_axis]} sequences;"
                f" give one sequence, (T, {size}) or {layout.replace('size', str(size))}, and add the gradients")
        arr = arr.squeeze(batch_axis)
    if arr.ndim != 2 or arr.shape[1] != size or not len(arr):
        raise errors.ValuesError(f"from_module: {name} has shape {tuple(arr.shape)}; give one sequence of"
                                 f" shape (T, {size}) or {layout.replace('size', str(size))}, T ≥ 1")
    return arr


def _initial(hx, spec: ModuleSpec) -> dict[str, np.ndarray]:
    states = state_names(spec.mode)
    if len(states) > 1 and not (isinstance(hx, (tuple, list)) and len(hx) == len(states)):
        raise errors.ValuesError("from_module: an LSTM's hx is a pair (h0, c0); give both")
    parts = hx if len(states) > 1 else (hx,)
    names = initial_names(spec.mode, spec.num_layers, learned=True)
    out = {}
    for state, part in zip(states, parts, strict=True):
        arr = _array(part)
        want = (spec.num_layers, spec.hidden_size)
        if arr.ndim == 3 and arr.shape[1] == 1:
            arr = arr[:, 0]
        if arr.shape != want:
            raise errors.ValuesError(f"from_module: {state}0 has shape {tuple(np.shape(part))}; give one sequence's"
                                     f" initial {state}, shape {want} or {(want[0], 1, want[1])}")
        out.update({name: arr[k].copy() for k, name in enumerate(names[state])})
    return out


_PARAM = re.compile(r"(?:l(\d+)_)?(W_ih|W_hh|b_ih|b_hh)")
_INIT = re.compile(r"(?:l(\d+)_)?(h|c)(?:0|_0)")
_STEMS = {"W_ih": "weight_ih", "W_hh": "weight_hh", "b_ih": "bias_ih", "b_hh": "bias_hh"}


def to_state_dict(gradients, module=None) -> dict[str, torch.Tensor]:
    """symbrnn's gradients of a :func:`from_module` cell by torch's names and shapes, as float64 tensors.

    Parameters
    ----------
    gradients : mapping
        Name -> gradient, as ``gradients(cell, T, values)`` returns them.
    module : torch.nn.RNN, nn.LSTM or nn.GRU, optional
        If given, every param of the module must have its gradient, of the
        param's shape, and the result follows the module's order.

    Returns
    -------
    dict
        ``weight_ih_l0`` ... -> tensor; with initial states among the gradients
        (``h0``, ``h_0``, ``l1_c0``, ...) also ``"h0"`` (and ``"c0"``), of shape
        (num_layers, hidden_size). The identity readout's V and c are left out.

    Raises
    ------
    MissingValueError
        With ``module``: a param of the module has no gradient.
    UnknownValueError
        A name is not a whole param or initial state of a :func:`from_module` cell (``"W_ih[1,0]"``).

    Examples
    --------
    >>> import numpy as np
    >>> grads = {"W_ih": np.ones((3, 2)), "W_hh": np.zeros((3, 3)), "h_0": np.ones(3)}
    >>> {name: tuple(g.shape) for name, g in to_state_dict(grads).items()}
    {'weight_ih_l0': (3, 2), 'weight_hh_l0': (3, 3), 'h0': (1, 3)}
    """
    params, initials = _parse(gradients)
    out = {}
    if module is not None:
        spec = module_spec(module)
        shapes = {n: tuple(p.shape) for n, p in module.named_parameters()}
        for theirs, ours in param_names(spec.mode, spec.num_layers, bias=spec.bias).items():
            if theirs not in params:
                raise errors.MissingValueError(f"to_state_dict: gradients lacks {ours!r} (torch's {theirs});"
                                               " compute every param's gradient (wrt=None)")
            if tuple(np.shape(params[theirs])) != shapes[theirs]:
                raise errors.ValuesError(f"to_state_dict: the gradient {ours!r} has shape"
                                         f" {tuple(np.shape(params[theirs]))} but {theirs} has {shapes[theirs]}")
            out[theirs] = params.pop(theirs)
        extra = sorted(params)
        if extra:
            raise errors.UnknownValueError(f"to_state_dict: {type(module).__name__} has no param {extra[0]!r};"
                                           " give the module the gradients' cell came from")
    out.update(params)
    out.update(initials)
    return {name: torch.as_tensor(np.array(g, dtype=np.float64)) for name, g in out.items()}


def _parse(gradients) -> tuple[dict, dict]:
    """torch name -> gradient for the params; "h0"/"c0" -> (layers, hidden) for the initial states."""
    params: dict = {}
    layers: dict = {}
    for name in gradients:
        key = str(name)
        if key in READOUT:
            continue
        if (m := _PARAM.fullmatch(key)):
            params[f"{_STEMS[m[2]]}_l{int(m[1] or 1) - 1}"] = gradients[name]
        elif (m := _INIT.fullmatch(key)):
            layers.setdefault(m[2], {})[int(m[1] or 1)] = gradients[name]
        else:
            raise errors.UnknownValueError(f"to_state_dict: {key!r} is not a whole param or an initial state of a"
                                           " from_module cell; compute the gradients of whole params (wrt=None)")
    initials = {}
    for state, by_layer in sorted(layers.items(), key=lambda kv: "hc".index(kv[0])):
        if sorted(by_layer) != list(range(1, len(by_layer) + 1)):
            raise errors.MissingValueError(f"to_state_dict: the gradients of {state}0 cover layers"
                                           f" {sorted(by_layer)}; give every layer's")
        initials[f"{state}0"] = np.stack([np.asarray(by_layer[k], dtype=np.float64) for k in sorted(by_layer)])
    return params, initials
