"""Organiser write routes of the API, authenticated with bearer tokens."""

from __future__ import annotations
