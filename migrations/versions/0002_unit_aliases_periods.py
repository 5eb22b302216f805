"""unit aliases, township units, weekly and yearly reporting periods

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06 05:20:00

The two enums are strings with a CHECK constraint; widening them replaces the constraint
(batch mode rebuilds the table on SQLite, PostgreSQL alters it in place). Existing rows keep
their values, and every unit gets an empty alias list.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

OLD_KINDS = ('region', 'county', 'department', 'office')
NEW_KINDS = ('region', 'county', 'township', 'department', 'office')
OLD_PERIODS = ('once', 'monthly', 'quarterly', 'half_yearly')
NEW_PERIODS = ('once', 'weekly', 'monthly', 'quarterly', 'half_yearly', 'yearly')


def _enum(values, name):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=20)


def upgrade():
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('aliases', sa.JSON(), server_default=sa.text("'[]'"), nullable=False))
        batch_op.alter_column('kind', existing_type=_enum(OLD_KINDS, 'unitkind'),
                              type_=_enum(NEW_KINDS, 'unitkind'), existing_nullable=False)
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.alter_column('reporting_period', existing_type=_enum(OLD_PERIODS, 'reportingperiod'),
                              type_=_enum(NEW_PERIODS, 'reportingperiod'), existing_nullable=False)


def downgrade():
    # rows using the new values have no place in the old schema: they fall back to the nearest old one
    op.execute("UPDATE task SET reporting_period = 'monthly' WHERE reporting_period = 'weekly'")
    op.execute("UPDATE task SET reporting_period = 'half_yearly' WHERE reporting_period = 'yearly'")
    op.execute("UPDATE unit SET kind = 'county' WHERE kind = 'township'")
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.alter_column('reporting_period', existing_type=_enum(NEW_PERIODS, 'reportingperiod'),
                              type_=_enum(OLD_PERIODS, 'reportingperiod'), existing_nullable=False)
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.alter_column('kind', existing_type=_enum(NEW_KINDS, 'unitkind'),
                              type_=_enum(OLD_KINDS, 'unitkind'), existing_nullable=False)
        batch_op.drop_column('aliases')
