"""security: 等保 account controls, sign-in history, the audit chain

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 05:10:00

"""
from types import SimpleNamespace

from alembic import op
import sqlalchemy as sa

import tracker.db


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('password_changed_at', tracker.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('first_failed_at', tracker.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('locked_until', tracker.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('totp_secret', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('totp_enabled_at', tracker.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.BigInteger(), nullable=True))
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.alter_column('must_change_password', server_default=None)
        batch_op.alter_column('failed_logins', server_default=None)

    op.create_table('password_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('created_at', tracker.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_password_history_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_history'))
    )
    with op.batch_alter_table('password_history', schema=None) as batch_op:
        batch_op.create_index('ix_password_history_user', ['user_id', 'id'], unique=False)

    op.create_table('recovery_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('used_at', tracker.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_recovery_code_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_code'))
    )
    with op.batch_alter_table('recovery_code', schema=None) as batch_op:
        batch_op.create_index('ix_recovery_code_user', ['user_id'], unique=False)

    op.create_table('login_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('at', tracker.db.UTCDateTime(), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=True),
    sa.Column('result', sa.String(length=20), nullable=False),
    sa.Column('user_agent', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_login_event_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_event'))
    )
    with op.batch_alter_table('login_event', schema=None) as batch_op:
        batch_op.create_index('ix_login_event_user', ['user_id', 'id'], unique=False)

    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain_day', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('row_hash', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_audit_entry_chain_day'), ['chain_day'], unique=False)
    _chain_existing_rows()


def _chain_existing_rows():
    """Rows written before this revision join the chain in id order, day by day."""
    from tracker import audit

    conn = op.get_bind()
    table = sa.table('audit_entry', sa.column('id', sa.Integer), sa.column('at', tracker.db.UTCDateTime()),
                     sa.column('actor_id', sa.Integer), sa.column('action', sa.String),
                     sa.column('object_type', sa.String), sa.column('object_id', sa.Integer),
                     sa.column('data', sa.JSON), sa.column('chain_day', sa.String),
                     sa.column('prev_hash', sa.String), sa.column('row_hash', sa.String))
    last = {}
    for row in conn.execute(sa.select(table).order_by(table.c.id)).all():
        entry = SimpleNamespace(**row._mapping)
        entry.chain_day = audit.chain_day(entry.at)
        entry.prev_hash = last.get(entry.chain_day) or audit.genesis(entry.chain_day)
        entry.row_hash = audit.row_hash(entry)
        last[entry.chain_day] = entry.row_hash
        conn.execute(sa.update(table).where(table.c.id == entry.id).values(
            chain_day=entry.chain_day, prev_hash=entry.prev_hash, row_hash=entry.row_hash))


def downgrade():
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entry_chain_day'))
        batch_op.drop_column('row_hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('chain_day')

    with op.batch_alter_table('login_event', schema=None) as batch_op:
        batch_op.drop_index('ix_login_event_user')
    op.drop_table('login_event')
    with op.batch_alter_table('recovery_code', schema=None) as batch_op:
        batch_op.drop_index('ix_recovery_code_user')
    op.drop_table('recovery_code')
    with op.batch_alter_table('password_history', schema=None) as batch_op:
        batch_op.drop_index('ix_password_history_user')
    op.drop_table('password_history')

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_enabled_at')
        batch_op.drop_column('totp_secret')
        batch_op.drop_column('locked_until')
        batch_op.drop_column('first_failed_at')
        batch_op.drop_column('failed_logins')
        batch_op.drop_column('password_changed_at')
        batch_op.drop_column('must_change_password')
