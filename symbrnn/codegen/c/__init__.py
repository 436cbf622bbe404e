"""The C backend: the BPTT plan written in C99, built with the system's compiler, called through ctypes.

Part of :mod:`symbrnn.codegen` (same imports).
"""
