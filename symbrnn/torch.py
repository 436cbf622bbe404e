"""PyTorch modules in and out: the cell and values of a ``torch.nn.RNN``, ``nn.LSTM`` or ``nn.GRU``, and back.

:func:`from_module` reads a module (any ``num_layers``, ``batch_first``
either way, with or without biases; ``nonlinearity`` tanh or relu for
``nn.RNN``) and returns its cell and values, ready for
:func:`symbrnn.gradients`, :func:`symbrnn.compile_cell` or ``symbrnn.render``.
:func:`to_state_dict` maps the gradients back to torch's names and shapes, to
compare with each ``param.grad`` after ``loss.backward()``.

- **The loss.** A torch module has none; the cell's is half the squared
  error of the module's output against a target, summed over the steps,
  ``L = Σ_t ½‖h_t − y_t‖²``, which is ``0.5 * ((out - y) ** 2).sum()`` in
  torch (``loss="squared_error"``, the only one for now).
- **The data.** x and y are one sequence: (T, input_size) and
  (T, hidden_size), or with a batch of one, (T, 1, ·) or with
  ``batch_first`` (1, T, ·), as the module reads and writes them. Torch
  tensors, ``nn.Parameter`` and arrays are accepted; values are float64
  numpy arrays (a float32 module's numbers are widened, not recomputed).
  Leave x and y out to get only the params, and add ``"x"`` and ``"y"``
  (T rows each) to the values yourself.
- **Initial states.** Zero, as torch's default; ``hx=`` (as given to the
  module: (num_layers, hidden) or (num_layers, 1, hidden), a pair
  (h0, c0) for an LSTM) makes them params ``h0`` (``l1_h0``, ...), whose
  gradients come back as ``"h0"`` (and ``"c0"``) of shape (num_layers, hidden).
- **Layers.** One layer is a cell in torch's convention with params
  ``W_ih``, ``W_hh``, ``b_ih``, ``b_hh``; several are a
  :func:`symbrnn.cells.stacked` cell (``l1_W_ih``, ``l2_W_ih``, ...) with an
  identity readout V = I, c = 0 on top, whose gradients :func:`to_state_dict` leaves out.

Refused, with a :class:`~symbrnn.SpecError` naming the setting and the fix:
``bidirectional=True``, ``proj_size > 0``, ``dropout > 0`` between layers in
training mode, and any other type. This module needs torch (``import
symbrnn`` does not load it); without it, importing it raises an ImportError
that says how to install it.

Examples
--------
>>> import torch
>>> from symbrnn import compile_cell
>>> from symbrnn.torch import from_module, to_state_dict
>>> _ = torch.manual_seed(0)
>>> module = torch.nn.GRU(3, 4, num_layers=2, batch_first=True).double()
>>> x, y = torch.randn(1, 5, 3, dtype=torch.float64), torch.randn(1, 5, 4, dtype=torch.float64)
>>> out, _ = module(x)
>>> (0.5 * ((out - y) ** 2).sum()).backward()          # torch's own gradients, in each param.grad
>>> cell, values = from_module(module, x, y)
>>> cell.name, values["x"].shape
('gru_2_layers', (5, 3))
>>> grads = to_state_dict(compile_cell(cell).gradients(values), module)
>>> all(torch.allclose(grads[n], p.grad, rtol=0, atol=1e-12) for n, p in module.named_parameters())
True
"""

from __future__ import annotations

from .interop.torchmodule import LOSSES, ModuleSpec, from_module, module_spec, to_state_dict

__all__ = ["LOSSES", "ModuleSpec", "from_module", "module_spec", "to_state_dict"]
