"""The array-level program: a shaped cell's BPTT as operations on whole arrays (a matrix product per step).

Part of :mod:`symbrnn.codegen` (same imports).
"""
