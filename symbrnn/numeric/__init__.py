"""numeric: numbers. Gradients (the strategy dispatcher), the reference recursion, programs run on values,
evaluations of derivations, Jacobians, backward tables.

Layer 4: imports every layer below it (core, declare, derive, codegen),
never render or the command line.
"""
