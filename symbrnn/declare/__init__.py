"""declare: a cell as the user writes it. Tensors, activations, equations, the Cell graph, cell and values files.

Layer 1: imports :mod:`symbrnn.core` only. Everything a user hands in is
checked here, once: expressions and shapes (:mod:`.expressions`), equation
text (:mod:`.equations`, a whitelist), cell files (:mod:`.spec`) and
numeric values (:mod:`.values`, the one value checker).
"""
