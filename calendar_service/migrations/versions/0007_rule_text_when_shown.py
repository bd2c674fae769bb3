"""rule text when shown: events.recurrence_text is dropped

The words for a series' rule ("Monthly on the last Wednesday") were stored in English when the
event was saved; they are now made when a page, list or API answer shows them (``rules.describe``
with the reader's phrasebook), so another language can describe the same row.  Nothing else
read the column.

Downgrading adds the column back and fills it as the code of that revision did: each row's
rule (and RDATEs) described in English, null for events that do not repeat.

Revision ID: 0007_rule_text_when_shown
Revises: 0006_category_aliases
"""
from datetime import date, datetime, timedelta
from typing import Any

from alembic import op
import sqlalchemy as sa

import rules


revision = '0007_rule_text_when_shown'
down_revision = '0006_category_aliases'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('recurrence_text')


def downgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recurrence_text', sa.String(length=500), nullable=True))
    events = sa.table('events', sa.column('id', sa.Integer()), sa.column('all_day', sa.Boolean()),
                      sa.column('start_local', sa.DateTime()), sa.column('timezone', sa.String()),
                      sa.column('rrule', sa.String()), sa.column('rdates', sa.JSON()),
                      sa.column('recurrence_text', sa.String()))
    connection = op.get_bind()
    rows = connection.execute(sa.select(
        events.c.id, events.c.all_day, events.c.start_local, events.c.timezone, events.c.rrule,
        events.c.rdates)).all()
    for row in rows:
        text = _described(row)
        if text is not None:
            connection.execute(events.update().where(events.c.id == row.id)
                               .values(recurrence_text=text[:500]))


def _described(row: Any) -> str | None:
    """What the revision before this one stored: the English words for the row's series."""
    start = row.start_local.date() if row.all_day else row.start_local
    parse = date.fromisoformat if row.all_day else datetime.fromisoformat
    end = start + (timedelta(days=1) if row.all_day else timedelta(0))
    try:
        return rules.describe(rules.Series(start=start, end=end, tzid=row.timezone,
                                           rrule=row.rrule,
                                           rdates=tuple(parse(value) for value in row.rdates or ())))
    except (rules.RulesError, ValueError):  # never saved so: every write validated its rule
        return None
