"""The typed draft of an event that the editor, the API and an .ics import hand to the editing
use cases (``EventDraft``, fields documented there), and the reading of the API's EVENT body
into one.

``EventDraft`` is defined in ``calendar_service.store.drafts``, below the services, because
validation and the .ics reader (``ical``) need it too; modules above the services import it
from here.
"""

from __future__ import annotations

from calendar_service.store.drafts import EventDraft, draft_of
from calendar_service.store.validation import ReadEvent, read_event_json

__all__ = ["EventDraft", "ReadEvent", "draft_of", "read_event_json"]
