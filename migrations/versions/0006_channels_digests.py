"""channels and digests: unit robots and phones, per-person digest mode, held/folded outbox rows,
the install time

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-06 07:30:00

"""
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa

import tracker.db


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

OLD_STATUSES = ('pending', 'sending', 'sent', 'failed', 'cancelled')
NEW_STATUSES = OLD_STATUSES + ('held', 'folded')
CHANNELS = ('email', 'wecom', 'dingtalk', 'sms')


def _enum(values, name):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=20)


def upgrade():
    op.create_table('app_meta',
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('value', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_app_meta'))
    )
    # an installation that upgrades counts as installed now: no 督办单 for periods before this
    op.bulk_insert(sa.table('app_meta', sa.column('key', sa.String), sa.column('value', sa.String)),
                   [{'key': 'installed_at', 'value': datetime.now(UTC).isoformat()}])
    with op.batch_alter_table('outbox_email', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', _enum(CHANNELS, 'channel'), server_default='email', nullable=False))
        batch_op.add_column(sa.Column('unit_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('fact_key', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('hold_until', tracker.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('digest_id', sa.Integer(), nullable=True))
        batch_op.alter_column('status', existing_type=_enum(OLD_STATUSES, 'outboxstatus'),
                              type_=_enum(NEW_STATUSES, 'outboxstatus'), existing_nullable=False)
        batch_op.create_index(batch_op.f('ix_outbox_email_unit_id'), ['unit_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_outbox_email_unit_id_unit'), 'unit', ['unit_id'], ['id'],
                                    ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_outbox_email_digest_id_outbox_email'), 'outbox_email',
                                    ['digest_id'], ['id'], ondelete='SET NULL')
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('robot_kind', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('robot_url', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('robot_secret', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('sms_phone', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('chase_weekly_cap', sa.Integer(), nullable=True))
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('digest_mode', _enum(('immediate', 'daily'), 'digestmode'),
                                      server_default='immediate', nullable=False))


def downgrade():
    # the enum's CHECK goes first, or SQLite's table copy would keep it without its column
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.alter_column('digest_mode', existing_type=_enum(('immediate', 'daily'), 'digestmode'),
                              type_=sa.String(length=20), existing_nullable=False)
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('digest_mode')
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.drop_column('chase_weekly_cap')
        batch_op.drop_column('sms_phone')
        batch_op.drop_column('robot_secret')
        batch_op.drop_column('robot_url')
        batch_op.drop_column('robot_kind')
    # channel rows and digest bookkeeping have no place in the old outbox
    op.execute("DELETE FROM outbox_email WHERE channel <> 'email'")
    op.execute("UPDATE outbox_email SET digest_id = NULL")
    op.execute("UPDATE outbox_email SET status = 'sent' WHERE status = 'folded'")
    op.execute("UPDATE outbox_email SET status = 'pending' WHERE status = 'held'")
    with op.batch_alter_table('outbox_email', schema=None) as batch_op:
        batch_op.alter_column('channel', existing_type=_enum(CHANNELS, 'channel'), type_=sa.String(length=20),
                              existing_nullable=False)
    with op.batch_alter_table('outbox_email', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_email_digest_id_outbox_email'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_outbox_email_unit_id_unit'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outbox_email_unit_id'))
        batch_op.alter_column('status', existing_type=_enum(NEW_STATUSES, 'outboxstatus'),
                              type_=_enum(OLD_STATUSES, 'outboxstatus'), existing_nullable=False)
        batch_op.drop_column('digest_id')
        batch_op.drop_column('hold_until')
        batch_op.drop_column('fact_key')
        batch_op.drop_column('unit_id')
        batch_op.drop_column('channel')
    op.drop_table('app_meta')
