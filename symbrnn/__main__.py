"""python -m symbrnn: the command line."""

from .cli import run

run()
