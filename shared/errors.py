"""Domain refusals that name the field at fault (the APIs answer them as a 422 on it)."""

from __future__ import annotations


class InvalidField(Exception):
    """A command carried a value the domain refuses; ``field`` names it."""

    def __init__(self, message: str, field: str = "body") -> None:
        super().__init__(message)
        self.field = field
