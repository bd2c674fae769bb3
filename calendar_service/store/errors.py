"""What the store refuses, in its own terms: the web layer maps each to an HTTP answer
(``web.errors``), the command line to a readable line.  No Flask here."""

from __future__ import annotations


class StoreError(Exception):
    """Base of the store's refusals; ``detail`` is a sentence a person can act on."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class ValidationError(StoreError):
    """Field-level problems with an input; ``errors`` maps field name to a message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{key}: {value}" for key, value in errors.items()))
        self.errors = errors


class NotFound(StoreError):
    """What was asked for does not exist (an unknown occurrence of a series, for example)."""


class Conflict(StoreError):
    """The change collides with what is stored (a uid that exists already, for example);
    ``errors`` names the fields that collide, when there are any."""

    def __init__(self, detail: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.errors = errors


class Forbidden(StoreError):
    """The actor may not make this change (a calendar they were not granted, an admin's task)."""
