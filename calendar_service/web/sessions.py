"""Signed-cookie sessions that public documents do not vary on.

Flask-Login looks at the session after every request, and Flask then adds ``Vary: Cookie`` to
the response, which tells every shared cache in front of the service to keep one copy of a feed
per cookie: for feeds, robots.txt and static files nothing depends on who asks, so their
responses skip saving the session (nothing in it is ever changed there) and stay cacheable.
"""

from __future__ import annotations

from flask import Flask, Response, request
from flask.sessions import SecureCookieSessionInterface, SessionMixin

# Endpoints whose answer is the same for everyone, signed in or not.
PUBLIC_ENDPOINTS = frozenset(
    {
        "feeds.calendar_feed",
        "feeds.event_feed",
        "agenda.atom_feed",
        "health.robots",
        "health.healthz",
        "static",
    }
)


class PublicAwareSessionInterface(SecureCookieSessionInterface):
    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if request.endpoint in PUBLIC_ENDPOINTS:
            return
        super().save_session(app, session, response)
