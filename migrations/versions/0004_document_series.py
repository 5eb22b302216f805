"""document number series: 督办/补发 and 催办 numbered apart, 通报 numbers, 机关代字 kept per notice

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 05:30:00

"""
from alembic import op
import sqlalchemy as sa

import tracker.db


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('document_counter',
    sa.Column('series', sa.String(length=20), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last_serial', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('series', 'year', name=op.f('pk_document_counter'))
    )
    op.create_table('issued_document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('series', sa.String(length=20), nullable=False),
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('doc_code', sa.String(length=40), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('serial', sa.Integer(), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', tracker.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['issued_by_id'], ['user.id'], name=op.f('fk_issued_document_issued_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_issued_document')),
    sa.UniqueConstraint('series', 'key', name=op.f('uq_issued_document_series_key')),
    sa.UniqueConstraint('series', 'year', 'serial', name=op.f('uq_issued_document_series_year_serial'))
    )
    with op.batch_alter_table('supervision_notice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('series', sa.String(length=20), nullable=False, server_default='supervision'))
        batch_op.add_column(sa.Column('doc_code', sa.String(length=40), nullable=False, server_default='督办'))
        batch_op.add_column(sa.Column('supplement_to_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_supervision_notice_supplement_to_id_supervision_notice'), 'supervision_notice', ['supplement_to_id'], ['id'], ondelete='SET NULL')
        batch_op.drop_constraint(batch_op.f('uq_supervision_notice_year_serial'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_supervision_notice_series_year_serial'), ['series', 'year', 'serial'])
    # notices issued before: 催办单 move to their own series, each keeping its number
    op.execute("UPDATE supervision_notice SET series = 'chase', doc_code = '催办' WHERE kind = 'chase'")
    # both series go on from the old shared counter, so no number is given twice
    op.execute("INSERT INTO document_counter (series, year, last_serial) "
               "SELECT 'supervision', year, last_serial FROM notice_counter")
    op.execute("INSERT INTO document_counter (series, year, last_serial) "
               "SELECT 'chase', year, last_serial FROM notice_counter")
    op.drop_table('notice_counter')


def downgrade():
    op.create_table('notice_counter',
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last_serial', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_notice_counter'))
    )
    op.execute("INSERT INTO notice_counter (year, last_serial) "
               "SELECT year, MAX(last_serial) FROM document_counter WHERE series IN ('supervision', 'chase') "
               "GROUP BY year")
    with op.batch_alter_table('supervision_notice', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_supervision_notice_series_year_serial'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_supervision_notice_year_serial'), ['year', 'serial'])
        batch_op.drop_constraint(batch_op.f('fk_supervision_notice_supplement_to_id_supervision_notice'), type_='foreignkey')
        batch_op.drop_column('supplement_to_id')
        batch_op.drop_column('doc_code')
        batch_op.drop_column('series')
    op.drop_table('issued_document')
    op.drop_table('document_counter')
