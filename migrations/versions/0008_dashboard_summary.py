"""task tally: the dashboard's counts per plan, unit, facet and day, kept by the task changes

Revision ID: 0008
Revises: 0004
Create Date: 2026-12-06 07:10:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('task_tally',
    sa.Column('plan_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('facet', sa.String(length=24), nullable=False),
    sa.Column('day', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('block', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('since', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('unit_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('tasks', sa.Integer(), nullable=False),
    sa.Column('returns', sa.Integer(), nullable=False),
    sa.Column('on_time', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('plan_id', 'facet', 'day', 'block', 'since', 'unit_id', name=op.f('pk_task_tally'))
    )
    # the existing tasks are counted in (the same code that keeps the tally afterwards)
    from tracker.tally import services
    services.rebuild(op.get_bind())


def downgrade():
    op.drop_table('task_tally')
