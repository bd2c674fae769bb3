"""The forms of the names the service accepts: calendar and category slugs, and event uids.

One definition serves validation (the compiled regexes) and the OpenAPI document (the pattern
text, which reads the same as an ECMA-262 regex).  A uid someone chooses is also the address of
its pages, so it must be one that every route taking an address reads back whole
(``unservable``).
"""

from __future__ import annotations

import re

# Lower-case letters, digits and hyphens, not starting with a hyphen, at most 64.
SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"
# Printable ASCII without spaces (RFC 5545 allows more; feeds and URLs stay simple this way).
UID_PATTERN = r"^[\x21-\x7e]{1,255}$"

SLUG = re.compile(SLUG_PATTERN)
UID = re.compile(UID_PATTERN)

# What follows an event's address in the routes that take one: ``/events/<uid>/next``,
# ``/events/<uid>.ics``, and the organiser's and the API's ``…/edit``, ``…/delete``,
# ``…/occurrences[/<recurrence id>]`` (a test matches these against every route of the app).
ROUTE_WORDS = frozenset({"next", "edit", "delete", "occurrences"})
DOWNLOAD_SUFFIX = ".ics"


def unservable(uid: str) -> str | None:
    """Why the routes would misread ``uid`` as an address (a field message), or None.

    The routes take the address as a path that may hold slashes, so a uid ending in ``.ics``
    would be read as the download of another, one with ``next`` (or another route's word) as a
    later segment as that page of another, and empty, ``.`` or ``..`` segments are merged or
    resolved away by clients and the router before the address is read."""
    if uid.endswith(DOWNLOAD_SUFFIX):
        return (
            f"must not end in {DOWNLOAD_SUFFIX}: /events/<uid>{DOWNLOAD_SUFFIX} is an "
            "event's download, so its page could not be found"
        )
    segments = uid.split("/")
    if any(segment in ("", ".", "..") for segment in segments):
        return (
            "must not begin or end with /, hold //, or have . or .. between slashes: "
            "its page could not be found"
        )
    word = next((segment for segment in segments[1:] if segment in ROUTE_WORDS), None)
    if word is not None:
        return (
            f"must not hold /{word}: /events/<uid>/{word} is another page of an event, "
            "so this uid's pages could not be found"
        )
    return None
