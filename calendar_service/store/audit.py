"""The audit log: who changed what, written by the store's own changes in their transaction, so
a change made on the command line is recorded like one made on a page or through the API."""

from __future__ import annotations

from typing import Any

from calendar_service.store.db import db
from calendar_service.store.models import AuditEntry, Calendar, Organiser

Actor = Organiser | str | None
"""Who makes a change: an organiser, or a label such as ``"seed"`` or ``"cli"``."""


def audit(
    actor: Actor,
    action: str,
    target_type: str,
    target: str,
    calendar: Calendar | None = None,
    **details: Any,
) -> None:
    """Record who changed what; kept in the same transaction as the change."""
    organiser = actor if isinstance(actor, Organiser) else None
    label = actor.email if isinstance(actor, Organiser) else (actor or "system")
    db.session.add(
        AuditEntry(
            organiser_id=organiser.id if organiser else None,
            actor=label,
            action=action,
            target_type=target_type,
            target=target[:255],
            calendar_slug=calendar.slug if calendar else None,
            details=details,
        )
    )
