"""scoring: rule versions, published score snapshots and their lines; an audit index by action

Revision ID: 0009
Revises: 0004
Create Date: 2026-12-06 07:30:00

"""
from alembic import op
import sqlalchemy as sa

import tracker.db


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('score_rule_set',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=40), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('base', sa.Float(), nullable=False),
    sa.Column('rules', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', tracker.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_score_rule_set_created_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], name=op.f('fk_score_rule_set_plan_id_plan'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_score_rule_set')),
    sa.UniqueConstraint('scope', 'version', name=op.f('uq_score_rule_set_scope_version'))
    )
    with op.batch_alter_table('score_rule_set', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_score_rule_set_plan_id'), ['plan_id'], unique=False)

    op.create_table('score_snapshot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('serial', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=40), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=True),
    sa.Column('period_key', sa.String(length=30), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('rule_set_id', sa.Integer(), nullable=False),
    sa.Column('published_on', sa.Date(), nullable=False),
    sa.Column('published_at', tracker.db.UTCDateTime(), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], name=op.f('fk_score_snapshot_plan_id_plan'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['published_by_id'], ['user.id'], name=op.f('fk_score_snapshot_published_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['rule_set_id'], ['score_rule_set.id'], name=op.f('fk_score_snapshot_rule_set_id_score_rule_set'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_score_snapshot')),
    sa.UniqueConstraint('year', 'serial', name=op.f('uq_score_snapshot_year_serial'))
    )
    with op.batch_alter_table('score_snapshot', schema=None) as batch_op:
        batch_op.create_index('ix_score_snapshot_period', ['period_key', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_score_snapshot_plan_id'), ['plan_id'], unique=False)

    op.create_table('score_snapshot_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('snapshot_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('total', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['snapshot_id'], ['score_snapshot.id'], name=op.f('fk_score_snapshot_line_snapshot_id_score_snapshot'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_score_snapshot_line_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_score_snapshot_line')),
    sa.UniqueConstraint('snapshot_id', 'unit_id', name=op.f('uq_score_snapshot_line_snapshot_id_unit_id'))
    )
    with op.batch_alter_table('score_snapshot_line', schema=None) as batch_op:
        batch_op.create_index('ix_score_snapshot_line_unit', ['unit_id', 'snapshot_id'], unique=False)

    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.create_index('ix_audit_entry_action', ['action', 'object_type', 'object_id', 'id', 'at'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_entry_action')
    op.drop_table('score_snapshot_line')
    op.drop_table('score_snapshot')
    op.drop_table('score_rule_set')
