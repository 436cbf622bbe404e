"""Bridges to other libraries' recurrent modules; :mod:`symbrnn.torch` is the public face of the PyTorch one.

:mod:`~symbrnn.interop.torchcells` builds the cell of a ``torch.nn.RNN``,
``nn.LSTM`` or ``nn.GRU`` configuration and names its params as torch does; it
does not import torch. :mod:`~symbrnn.interop.torchmodule` reads a module
(its ``state_dict``, its inputs) and maps gradients back to torch's names;
it imports torch. These modules may import every layer of symbrnn (they sit
beside the package's face); nothing in symbrnn imports them except
:mod:`symbrnn.torch`, so ``import symbrnn`` never loads torch.
"""
