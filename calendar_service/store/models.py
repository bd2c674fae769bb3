"""The stored data: calendars, categories, events (series), overrides, organisers, tokens, audit.

Rows only hold data.  Recurrence is interpreted in ``store.occurrences``; validation and changes go
through ``store.operations``; nothing here commits.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    inspect,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from calendar_service.clock import utcnow
from calendar_service.store.db import UTCDateTime, db

STATUSES = ("confirmed", "tentative", "cancelled")
ROLES = ("editor", "owner")  # of an organiser in one calendar (CalendarMember.role)
SCOPES = ("read", "write")  # of an API token (ApiToken.scope)

event_categories = Table(
    "event_categories",
    db.metadata,
    Column("event_id", ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True),
)


class Calendar(db.Model):  # type: ignore[name-defined,misc]
    """A published collection of events with its own feed.

    ``version`` goes up in the same transaction as any change to the calendar or its events, so
    every worker sees a new ETag on its next request without a per-process cache.
    """

    __tablename__ = "calendars"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    timezone: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    categories: Mapped[list[Category]] = relationship(
        back_populates="calendar", cascade="all, delete-orphan", order_by="Category.slug"
    )
    events: Mapped[list[Event]] = relationship(back_populates="calendar", passive_deletes=True)
    members: Mapped[list[CalendarMember]] = relationship(
        back_populates="calendar", cascade="all, delete-orphan", passive_deletes=True
    )

    def touch(self) -> None:
        """Mark the calendar's content changed (new ETag, Last-Modified) in this transaction.

        ``changed`` becomes Last-Modified, which HTTP states to the second: it moves to a later
        second than the previous version's, even for two changes within one second, so a
        client that revalidates with If-Modified-Since alone never gets a 304 for a feed that
        changed (a burst of changes may put it a few seconds ahead of the clock)."""
        # Incremented by the database, so concurrent changes get a version each: a feed built
        # between two commits can never be cached under the version both would otherwise take.
        if inspect(self).persistent:
            self.version = type(self).version + 1
        else:
            self.version = (self.version or 0) + 1
        now = utcnow()
        if self.changed is not None:
            now = max(now, self.changed.replace(microsecond=0) + timedelta(seconds=1))
        self.changed = now


class Category(db.Model):  # type: ignore[name-defined,misc]
    """A label within one calendar (``tps``, ``ai-uk``), with its own filtered feed."""

    __tablename__ = "categories"
    __table_args__ = (UniqueConstraint("calendar_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    calendar_id: Mapped[int] = mapped_column(ForeignKey("calendars.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))

    calendar: Mapped[Calendar] = relationship(back_populates="categories")


class CategoryAlias(db.Model):  # type: ignore[name-defined,misc]
    """The slug of a merged (or deleted, its events moved) category, standing for the category
    that took its events: its feed address keeps working for those already subscribed."""

    __tablename__ = "category_aliases"
    __table_args__ = (UniqueConstraint("calendar_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    calendar_id: Mapped[int] = mapped_column(ForeignKey("calendars.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(64))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"))


class Event(db.Model):  # type: ignore[name-defined,misc]
    """One event or recurring series, as the contract's EVENT.

    ``start_local``/``end_local`` are naive wall times in ``timezone`` (midnight for all-day
    events, whose ``end_local`` is exclusive).  ``rdates``/``exdates`` hold the contract's string
    forms.  ``first_start_utc``/``last_end_utc`` bound every occurrence (null: no end) so the
    window query reads only series that can touch a window.  ``revision`` changes on every write
    and is what If-Match and the editor's version field compare.
    """

    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint("end_local >= start_local", name="end_not_before_start"),
        CheckConstraint("status IN ('confirmed', 'tentative', 'cancelled')", name="status"),
        # The window query's range scans: most series of a long-lived calendar ended long ago,
        # so "ends after the window starts" is the selective bound (occurrences.touching_ids).
        Index("ix_events_ends", "last_end_utc", "first_start_utc"),
        Index("ix_events_calendar_window", "calendar_id", "first_start_utc"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(255), unique=True)
    # The readable address of its page, from the title (null for events made before there
    # were slugs: their address is their uid).  Never in feeds: clients key on the UID.
    slug: Mapped[str | None] = mapped_column(String(255), unique=True)
    calendar_id: Mapped[int] = mapped_column(
        ForeignKey("calendars.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str] = mapped_column(String(500), default="")
    url: Mapped[str] = mapped_column(String(2000), default="")
    all_day: Mapped[bool] = mapped_column(Boolean, default=False)
    start_local: Mapped[datetime] = mapped_column(DateTime)
    end_local: Mapped[datetime] = mapped_column(DateTime)
    timezone: Mapped[str] = mapped_column(String(64))
    rrule: Mapped[str | None] = mapped_column(String(2000))
    rdates: Mapped[list[str]] = mapped_column(JSON, default=list)
    exdates: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="confirmed")
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    first_start_utc: Mapped[datetime] = mapped_column(UTCDateTime)
    last_end_utc: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The earlier part of the same logical series, when this one began by a "this and
    # following" change (``store.parts``): clients see two series, organisers one.
    continues_id: Mapped[int | None] = mapped_column(
        ForeignKey("events.id", ondelete="SET NULL"), index=True
    )

    # Every UPDATE or DELETE of the row says "WHERE revision = <the revision read>", so a write
    # based on a version someone else changed meanwhile changes nothing and raises
    # StaleDataError instead of silently overwriting theirs; operations set the new revision.
    __mapper_args__ = {"version_id_col": revision, "version_id_generator": False}

    calendar: Mapped[Calendar] = relationship(back_populates="events")
    categories: Mapped[list[Category]] = relationship(
        secondary=event_categories, order_by="Category.slug"
    )
    overrides: Mapped[list[Override]] = relationship(
        back_populates="event",
        cascade="all, delete-orphan",
        order_by="Override.recurrence_id",
    )

    @property
    def address(self) -> str:
        """What its page's URL says: ``/events/<address>`` (its uid also works there)."""
        return self.slug or self.uid

    @property
    def category_slugs(self) -> list[str]:
        return [category.slug for category in self.categories]

    @property
    def is_recurring(self) -> bool:
        """A series with more than one instance (a rule or extra dates), not a single event."""
        return bool(self.rrule or self.rdates)


class Override(db.Model):  # type: ignore[name-defined,misc]
    """A change to one occurrence of a series: moved, retitled, described or cancelled.

    ``recurrence_id`` is the contract's string form of the original start (local wall time
    ``YYYY-MM-DDTHH:MM:SS`` or a date); null columns keep the series' own values.  On a
    cancelled occurrence ``description`` is the note on the cancellation ("the speaker is ill"),
    shown on its page and in the agenda; feeds carry the cancellation as an EXDATE alone.
    """

    __tablename__ = "overrides"
    __table_args__ = (
        UniqueConstraint("event_id", "recurrence_id"),
        CheckConstraint(
            "end_local IS NULL OR start_local IS NULL OR end_local >= start_local",
            name="end_not_before_start",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    recurrence_id: Mapped[str] = mapped_column(String(32))
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    start_local: Mapped[datetime | None] = mapped_column(DateTime)
    end_local: Mapped[datetime | None] = mapped_column(DateTime)
    title: Mapped[str | None] = mapped_column(String(500))
    location: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    event: Mapped[Event] = relationship(back_populates="overrides")


class Organiser(db.Model):  # type: ignore[name-defined,misc]
    """A person who may sign in and change the events of the calendars they were granted
    (``CalendarMember``); admins may change every calendar and manage calendars and organisers.

    ``session_generation`` is part of what a session keeps (``get_id``): raising it (sign-out,
    a new password, deactivation) ends every session made before, on every worker.
    """

    __tablename__ = "organisers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_sign_in: Mapped[datetime | None] = mapped_column(UTCDateTime)
    session_generation: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="organiser", cascade="all, delete-orphan", order_by="ApiToken.created"
    )
    memberships: Mapped[list[CalendarMember]] = relationship(
        back_populates="organiser", cascade="all, delete-orphan", passive_deletes=True
    )

    # What Flask-Login reads of a user, written here so the store needs no web extension.

    @property
    def is_active(self) -> bool:
        """Deactivated organisers cannot sign in, and are signed out on their next request."""
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        """What the session keeps to find the organiser again (``load_organiser``): the id and
        the session generation, so a session from before the last sign-out finds no one."""
        return f"{self.id}:{self.session_generation}"


class CalendarMember(db.Model):  # type: ignore[name-defined,misc]
    """An organiser's right to change one calendar's events: ``editor``, or ``owner``, who may
    also grant and withdraw that calendar's rights."""

    __tablename__ = "calendar_members"
    __table_args__ = (CheckConstraint("role IN ('editor', 'owner')", name="role"),)

    organiser_id: Mapped[int] = mapped_column(
        ForeignKey("organisers.id", ondelete="CASCADE"), primary_key=True
    )
    calendar_id: Mapped[int] = mapped_column(
        ForeignKey("calendars.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(16), default="editor")
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organiser: Mapped[Organiser] = relationship(back_populates="memberships")
    calendar: Mapped[Calendar] = relationship(back_populates="members")


api_token_calendars = Table(
    "api_token_calendars",
    db.metadata,
    Column("token_id", ForeignKey("api_tokens.id", ondelete="CASCADE"), primary_key=True),
    Column("calendar_id", ForeignKey("calendars.id", ondelete="CASCADE"), primary_key=True),
)


class ApiToken(db.Model):  # type: ignore[name-defined,misc]
    """A named bearer token; only its SHA-256 is kept, the secret is shown once.

    ``scope`` is ``read`` (drafts may be read) or ``write``; ``calendars``, when not empty,
    narrows writes, and the drafts it reads, to those calendars; ``expires`` (null: never) ends
    it.  A token never does more than its organiser may at the time of each request: it reads
    the drafts of the calendars its organiser may change, no others.
    """

    __tablename__ = "api_tokens"
    __table_args__ = (CheckConstraint("scope IN ('read', 'write')", name="scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organiser_id: Mapped[int] = mapped_column(ForeignKey("organisers.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked: Mapped[datetime | None] = mapped_column(UTCDateTime)
    scope: Mapped[str] = mapped_column(String(8), default="write", server_default="write")
    expires: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organiser: Mapped[Organiser] = relationship(back_populates="tokens")
    calendars: Mapped[list[Calendar]] = relationship(
        secondary=api_token_calendars, order_by="Calendar.slug"
    )


class AuditEntry(db.Model):  # type: ignore[name-defined,misc]
    """Who changed what and when; kept when the organiser or the event is gone."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    organiser_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisers.id", ondelete="SET NULL")
    )
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(32))
    target_type: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(255))
    calendar_slug: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class SignInAttempt(db.Model):  # type: ignore[name-defined,misc]
    """A sign-in attempt, kept briefly: throttling must hold across workers, so it lives here
    (``store.throttle``)."""

    __tablename__ = "sign_in_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(400), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
