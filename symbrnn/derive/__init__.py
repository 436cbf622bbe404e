"""derive: the symbolic derivation. Unrolling, the cell's step partials, labelled terms, the total derivative.

Layer 2: imports :mod:`symbrnn.core` and :mod:`symbrnn.declare`. It works
on expressions only; numbers come from :mod:`symbrnn.numeric`, which
installs itself as the way a derivation computes its values.
"""
