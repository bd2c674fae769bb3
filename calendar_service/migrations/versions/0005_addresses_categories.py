"""readable event addresses: events.slug

- events.slug: the readable address of an event's public page (``/events/<slug>``), made from
  its title when the event is created (unique; kept once the event is published).  Existing
  events keep null, and their address stays their UID; every UID address keeps working for
  every event, as pages look an address up as a UID first, then as a slug.  Categories need no
  schema change: they are managed on their own page.

Revision ID: 0005_addresses_categories
Revises: 0004_series_parts
"""
from alembic import op
import sqlalchemy as sa


revision = '0005_addresses_categories'
down_revision = '0004_series_parts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('slug', sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_events_slug'), ['slug'])


def downgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_events_slug'), type_='unique')
        batch_op.drop_column('slug')
