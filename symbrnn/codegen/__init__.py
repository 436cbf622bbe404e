"""codegen: generated programs. Step kernels, the BPTT plan and its Python, C, array and JAX texts.

Layer 3: imports :mod:`symbrnn.core`, :mod:`symbrnn.declare` and
:mod:`symbrnn.derive`. Each program is written from the cell's
derivatives and compiled once per cell, independent of T; running it on
checked values is :mod:`symbrnn.numeric`'s job.
"""
