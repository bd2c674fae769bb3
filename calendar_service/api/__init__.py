"""The JSON API (docs/contract.md: /api/v1): read routes, write routes, problem+json errors.

Importing the package registers every route on ``bp``.
"""

from __future__ import annotations

from calendar_service.api import read, write
from calendar_service.api.blueprint import bp

__all__ = ["bp", "read", "write"]
