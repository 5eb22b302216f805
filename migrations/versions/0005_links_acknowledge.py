"""签收 (acknowledge), 退回交办 (refusals), one-task links, a unit's links setting

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 07:07:50

Tasks that exist before this revision were handed out before 签收 existed: each is taken as
acknowledged (via "backfill") at its first progress report, else when it was assigned, so no old
task shows as 未签收.

"""
from alembic import op
import sqlalchemy as sa

import tracker.db


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('task_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', tracker.db.UTCDateTime(), nullable=False),
    sa.Column('expires_at', tracker.db.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', tracker.db.UTCDateTime(), nullable=True),
    sa.Column('revoked_reason', sa.String(length=20), nullable=True),
    sa.Column('last_used_at', tracker.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], name=op.f('fk_task_link_task_id_task'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task_link')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_task_link_token_hash'))
    )
    with op.batch_alter_table('task_link', schema=None) as batch_op:
        batch_op.create_index('ix_task_link_task_email', ['task_id', 'email'], unique=False)

    op.create_table('task_refusal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('refused_by_id', sa.Integer(), nullable=True),
    sa.Column('refused_email', sa.String(length=254), nullable=True),
    sa.Column('created_at', tracker.db.UTCDateTime(), nullable=False),
    sa.Column('state', sa.Enum('pending', 'reassigned', 'insisted', name='refusalstate', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', tracker.db.UTCDateTime(), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=True),
    sa.Column('new_task_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], name=op.f('fk_task_refusal_decided_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['new_task_id'], ['task.id'], name=op.f('fk_task_refusal_new_task_id_task'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['refused_by_id'], ['user.id'], name=op.f('fk_task_refusal_refused_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], name=op.f('fk_task_refusal_task_id_task'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task_refusal'))
    )
    with op.batch_alter_table('task_refusal', schema=None) as batch_op:
        batch_op.create_index('ix_task_refusal_state', ['state', 'task_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_refusal_task_id'), ['task_id'], unique=False)

    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('acknowledged_at', tracker.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('acknowledged_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('acknowledged_via', sa.Enum('signed_in', 'link', 'api', 'backfill', name='ackvia', native_enum=False, create_constraint=True, length=20), nullable=True))
        batch_op.add_column(sa.Column('acknowledged_email', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('replaced_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('refusal_closed', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index('ix_task_unacknowledged', ['acknowledged_at', 'state', 'plan_id', 'unit_id', 'assigned_on'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_task_acknowledged_by_id_user'), 'user', ['acknowledged_by_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_task_replaced_by_id_task'), 'task', ['replaced_by_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('links_enabled', sa.Boolean(), server_default=sa.true(), nullable=False))

    op.execute(
        "UPDATE task SET acknowledged_via = 'backfill', acknowledged_at = COALESCE("
        "(SELECT MIN(progress_report.created_at) FROM progress_report WHERE progress_report.task_id = task.id),"
        " task.created_at) WHERE acknowledged_at IS NULL")


def downgrade():
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.drop_column('links_enabled')

    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_task_replaced_by_id_task'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_task_acknowledged_by_id_user'), type_='foreignkey')
        batch_op.drop_index('ix_task_unacknowledged')
        batch_op.drop_constraint(batch_op.f('ck_task_ackvia'), type_='check')
        batch_op.drop_column('refusal_closed')
        batch_op.drop_column('replaced_by_id')
        batch_op.drop_column('acknowledged_email')
        batch_op.drop_column('acknowledged_via')
        batch_op.drop_column('acknowledged_by_id')
        batch_op.drop_column('acknowledged_at')

    with op.batch_alter_table('task_refusal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_refusal_task_id'))
        batch_op.drop_index('ix_task_refusal_state')

    op.drop_table('task_refusal')
    with op.batch_alter_table('task_link', schema=None) as batch_op:
        batch_op.drop_index('ix_task_link_task_email')

    op.drop_table('task_link')
