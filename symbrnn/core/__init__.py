"""core: the floor everything stands on. Errors, the vocabulary of kinds, time-indexed names, progress, display.

Layer 0 of ``core < declare < derive < codegen < numeric < render < cli``:
it imports nothing from symbrnn outside this folder. It never prints and
never imports rich; objects are drawn through :mod:`.display`, a registry
the render layer fills.
"""
