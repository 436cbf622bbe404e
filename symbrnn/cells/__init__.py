"""Built-in cells: functions that return a ready :class:`~symbrnn.Cell`."""

from .elman import elman

__all__ = ["elman"]
