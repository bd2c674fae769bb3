"""index events by (last_end_utc, first_start_utc) for the window query

Most series of a calendar that has run for years ended long ago: "last end after the window
starts" is the selective bound, and with the first start beside it in the index the window
query reads only index entries of series that can touch the window.  Two indexes go:
(first_start_utc, last_end_utc), which SQLite's planner chose without statistics and which
reads every series that began before the window, and last_end_utc alone, the new index's
prefix, which PostgreSQL preferred and then read the table row of every future series.

Revision ID: 0002
Revises: 0001
"""
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_ends', ['last_end_utc', 'first_start_utc'], unique=False)
        batch_op.drop_index('ix_events_last_end_utc')
        batch_op.drop_index('ix_events_window')


def downgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_window', ['first_start_utc', 'last_end_utc'], unique=False)
        batch_op.create_index('ix_events_last_end_utc', ['last_end_utc'], unique=False)
        batch_op.drop_index('ix_events_ends')
