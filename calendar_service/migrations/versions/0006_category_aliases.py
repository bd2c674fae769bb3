"""category aliases: the slugs of merged categories

- category_aliases: a merged category's slug (or a deleted one's whose events were moved) and
  the category that took its events, so the feed address people subscribed to keeps serving
  those events.

Revision ID: 0006_category_aliases
Revises: 0005_addresses_categories
"""
from alembic import op
import sqlalchemy as sa


revision = '0006_category_aliases'
down_revision = '0005_addresses_categories'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'category_aliases',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('calendar_id', sa.Integer(), nullable=False),
        sa.Column('slug', sa.String(length=64), nullable=False),
        sa.Column('category_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['calendar_id'], ['calendars.id'],
                                name=op.f('fk_category_aliases_calendar_id_calendars'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['category_id'], ['categories.id'],
                                name=op.f('fk_category_aliases_category_id_categories'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_category_aliases')),
        sa.UniqueConstraint('calendar_id', 'slug', name=op.f('uq_category_aliases_calendar_id')),
    )


def downgrade() -> None:
    op.drop_table('category_aliases')
