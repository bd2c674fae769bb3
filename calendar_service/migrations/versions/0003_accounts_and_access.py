"""accounts and access: session generations, token scope/expiry/calendars, calendar members

- organisers.session_generation: part of every session; raising it ends the sessions made
  before (sign-out, a new password, deactivation).  Existing rows start at 1, so sessions made
  before the upgrade (which carry no generation) end: everyone signs in once more.
- api_tokens.scope ('read' or 'write'; existing tokens keep writing) and api_tokens.expires
  (null: never, as every existing token).
- api_token_calendars: the calendars a token is narrowed to (none: all its organiser's).
- calendar_members: who may change which calendar's events, as 'editor' or 'owner'.  Every
  existing non-admin organiser becomes an editor of every existing calendar, so no one loses
  what they could do before the upgrade; admins need no rows.

Revision ID: 0003
Revises: 0002
"""
from calendar_service.clock import utcnow

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('organisers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_generation', sa.Integer(), server_default='1',
                                      nullable=False))

    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scope', sa.String(length=8), server_default='write',
                                      nullable=False))
        batch_op.add_column(sa.Column('expires', sa.DateTime(), nullable=True))
        batch_op.create_check_constraint(op.f('ck_api_tokens_scope'), "scope IN ('read', 'write')")

    op.create_table('calendar_members',
    sa.Column('organiser_id', sa.Integer(), nullable=False),
    sa.Column('calendar_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('created', sa.DateTime(), nullable=False),
    sa.CheckConstraint("role IN ('editor', 'owner')", name=op.f('ck_calendar_members_role')),
    sa.ForeignKeyConstraint(['calendar_id'], ['calendars.id'], name=op.f('fk_calendar_members_calendar_id_calendars'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organiser_id'], ['organisers.id'], name=op.f('fk_calendar_members_organiser_id_organisers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('organiser_id', 'calendar_id', name=op.f('pk_calendar_members'))
    )
    with op.batch_alter_table('calendar_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_members_calendar_id'), ['calendar_id'], unique=False)

    op.create_table('api_token_calendars',
    sa.Column('token_id', sa.Integer(), nullable=False),
    sa.Column('calendar_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['calendar_id'], ['calendars.id'], name=op.f('fk_api_token_calendars_calendar_id_calendars'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['token_id'], ['api_tokens.id'], name=op.f('fk_api_token_calendars_token_id_api_tokens'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_id', 'calendar_id', name=op.f('pk_api_token_calendars'))
    )

    # Existing organisers keep what they could do: editor of every calendar there is.
    organisers = sa.table('organisers', sa.column('id', sa.Integer()),
                          sa.column('is_admin', sa.Boolean()))
    calendars = sa.table('calendars', sa.column('id', sa.Integer()))
    members = sa.table('calendar_members', sa.column('organiser_id', sa.Integer()),
                       sa.column('calendar_id', sa.Integer()), sa.column('role', sa.String()),
                       sa.column('created', sa.DateTime()))
    op.execute(members.insert().from_select(
        ['organiser_id', 'calendar_id', 'role', 'created'],
        sa.select(organisers.c.id, calendars.c.id, sa.literal('editor', sa.String()),
                  sa.literal(utcnow().replace(tzinfo=None), sa.DateTime()))
        .select_from(organisers.join(calendars, sa.true()))
        .where(organisers.c.is_admin == sa.false())
    ))


def downgrade() -> None:
    op.drop_table('api_token_calendars')
    with op.batch_alter_table('calendar_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_members_calendar_id'))

    op.drop_table('calendar_members')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_api_tokens_scope'), type_='check')
        batch_op.drop_column('expires')
        batch_op.drop_column('scope')

    with op.batch_alter_table('organisers', schema=None) as batch_op:
        batch_op.drop_column('session_generation')
