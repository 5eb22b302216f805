"""less burden on units: one stored evidence file reused on several tasks of a unit

Revision ID: 0010
Revises: 0004
Create Date: 2026-12-06 07:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    # existing rows each name their own file: no backfill, reused_from_id stays empty
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reused_from_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_evidence_reused_from_id_evidence'), 'evidence',
                                    ['reused_from_id'], ['id'], ondelete='SET NULL')
        batch_op.drop_constraint(batch_op.f('uq_evidence_stored_name'), type_='unique')
        batch_op.create_index('ix_evidence_stored_name', ['stored_name'], unique=False)


def downgrade():
    # a file shared by several rows cannot be unique again: the copies' rows go, the first stays
    op.execute("DELETE FROM evidence WHERE reused_from_id IS NOT NULL")
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_index('ix_evidence_stored_name')
        batch_op.create_unique_constraint(batch_op.f('uq_evidence_stored_name'), ['stored_name'])
        batch_op.drop_constraint(batch_op.f('fk_evidence_reused_from_id_evidence'), type_='foreignkey')
        batch_op.drop_column('reused_from_id')
