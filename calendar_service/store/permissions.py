"""Who may change what: admins everything; other organisers the events of the calendars they
were granted (``CalendarMember``: ``editor``, or ``owner``, who also grants and withdraws that
calendar's rights).  The command line, the seed and other non-organiser actors act for the
operator and may do everything.

The editing use cases (``services.editing``) ask here once per change, at their door, so the
editor, the API and "this and all later ones" refuse alike (``Forbidden``, a 403 on the web);
an import asks once for its calendar.  The pages ask otherwise only to offer what may be
chosen.  Drafts are read by those who may
change them: the API's reads ask ``readable_drafts`` which calendars' drafts a token shows.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeAlias

from sqlalchemy import select

from calendar_service.clock import utcnow
from calendar_service.store.audit import Actor, audit
from calendar_service.store.db import db
from calendar_service.store.errors import Forbidden, ValidationError
from calendar_service.store.models import ROLES, Calendar, CalendarMember, Organiser


def role_of(organiser: Organiser, calendar: Calendar) -> str | None:
    """``editor``, ``owner`` or None: the organiser's grant in this calendar (admins' too)."""
    member = db.session.get(CalendarMember, (organiser.id, calendar.id))
    return member.role if member is not None else None


def may_edit(actor: Actor, calendar: Calendar) -> bool:
    """Whether ``actor`` may create, change and delete this calendar's events."""
    if not isinstance(actor, Organiser):
        return True
    return bool(actor.is_admin) or role_of(actor, calendar) is not None


def may_manage(actor: Actor, calendar: Calendar) -> bool:
    """Whether ``actor`` may grant and withdraw rights in this calendar (admins, owners)."""
    if not isinstance(actor, Organiser):
        return True
    return bool(actor.is_admin) or role_of(actor, calendar) == "owner"


def require_edit(actor: Actor, calendar: Calendar) -> None:
    if not may_edit(actor, calendar):
        raise Forbidden(
            f"You may not change the events of the calendar {calendar.slug!r}: "
            "ask an admin or the calendar's owner to grant it to you."
        )


def require_admin(actor: Actor, task: str) -> None:
    if isinstance(actor, Organiser) and not actor.is_admin:
        raise Forbidden(f"Only admins may {task}.")


def editable_calendars(actor: Actor) -> list[Calendar]:
    """The calendars whose events ``actor`` may change, by name."""
    query = select(Calendar).order_by(Calendar.name)
    if isinstance(actor, Organiser) and not actor.is_admin:
        query = query.join(CalendarMember).where(CalendarMember.organiser_id == actor.id)
    return list(db.session.scalars(query))


Drafts: TypeAlias = bool | frozenset[int]
"""Whose drafts a reader sees: none (False), every calendar's (True), or those of the calendars
with these ids."""


def readable_drafts(organiser: Organiser, kept_to: Iterable[Calendar] = ()) -> Drafts:
    """The drafts an organiser reads, through a token kept to the calendars ``kept_to`` (none:
    not kept): those of the calendars the organiser may change (every one for an admin), and
    of those only the ones the token is kept to.  A draft is work in progress of the people
    who may change it, so a token reads no more of them than it could write."""
    kept = frozenset(calendar.id for calendar in kept_to)
    if organiser.is_admin:
        return kept or True
    granted = frozenset(
        db.session.scalars(
            select(CalendarMember.calendar_id).where(CalendarMember.organiser_id == organiser.id)
        )
    )
    return granted & kept if kept else granted


def shows(drafts: Drafts, published: bool, calendar_id: int) -> bool:
    """Whether a reader who sees ``drafts`` sees an event of that calendar, published or not
    (published ones everyone does)."""
    return published or drafts is True or (isinstance(drafts, frozenset) and calendar_id in drafts)


def members_of(calendar: Calendar) -> list[CalendarMember]:
    """The calendar's grants, by the organisers' e-mail."""
    return list(
        db.session.scalars(
            select(CalendarMember)
            .join(Organiser)
            .where(CalendarMember.calendar_id == calendar.id)
            .order_by(Organiser.email)
        )
    )


def grant(organiser: Organiser, calendar: Calendar, role: str, actor: Actor) -> CalendarMember:
    """Let the organiser change the calendar's events as ``editor`` or ``owner`` (a new role
    replaces the old); audited as ``actor``'s.  Raises ValidationError for another role."""
    if role not in ROLES:
        raise ValidationError({"role": "must be editor or owner"})
    member = db.session.get(CalendarMember, (organiser.id, calendar.id))
    if member is None:
        member = CalendarMember(organiser=organiser, calendar=calendar, role=role, created=utcnow())
        db.session.add(member)
    elif member.role == role:
        return member
    member.role = role
    db.session.flush()
    audit(actor, "grant", "organiser", organiser.email, calendar, role=role)
    return member


def withdraw(organiser: Organiser, calendar: Calendar, actor: Actor) -> bool:
    """Take the organiser's right to the calendar away; False when they had none.  Audited."""
    member = db.session.get(CalendarMember, (organiser.id, calendar.id))
    if member is None:
        return False
    role = member.role
    db.session.delete(member)
    db.session.flush()
    audit(actor, "withdraw", "organiser", organiser.email, calendar, role=role)
    return True
