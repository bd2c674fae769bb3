"""series parts: events.continues_id names the earlier part of a split series

A "this and following" change ends a series before a date and starts a new one there (two
series, as every client understands).  ``continues_id`` links the new part to the earlier one,
so organisers see one logical series (one dashboard row, the parts linked) and the old public
page links to its continuation.  Existing events continue nothing.

Revision ID: 0004_series_parts
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa


revision = '0004_series_parts'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('continues_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_events_continues_id'), ['continues_id'],
                              unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_events_continues_id_events'), 'events',
                                    ['continues_id'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_events_continues_id_events'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_events_continues_id'))
        batch_op.drop_column('continues_id')
