"""evidence proves a period key; files a reviewer opened; when a file was deleted

Revision ID: 0007
Revises: 0004
Create Date: 2026-12-06 07:30:00

"""
from alembic import op
import sqlalchemy as sa

import tracker.db
from tracker import periods


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.add_column(sa.Column('period_key', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('deleted_at', tracker.db.UTCDateTime(), nullable=True))
    op.create_table('evidence_opening',
    sa.Column('evidence_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('opened_at', tracker.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['evidence_id'], ['evidence.id'], name=op.f('fk_evidence_opening_evidence_id_evidence'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_evidence_opening_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('evidence_id', 'user_id', name=op.f('pk_evidence_opening'))
    )
    # the free text an upload wrote becomes a period key where it names one ("2026年上半年", "2026-H2");
    # text that names none stays as it was written
    conn = op.get_bind()
    evidence = sa.table('evidence', sa.column('id', sa.Integer), sa.column('proves', sa.String),
                        sa.column('period_key', sa.String))
    rows = conn.execute(sa.select(evidence.c.id, evidence.c.proves).where(evidence.c.proves.isnot(None))).all()
    for evidence_id, proves in rows:
        key = periods.parse_key(proves)
        if key is not None:
            conn.execute(evidence.update().where(evidence.c.id == evidence_id)
                         .values(period_key=key, proves=None))


def downgrade():
    conn = op.get_bind()
    evidence = sa.table('evidence', sa.column('proves', sa.String), sa.column('period_key', sa.String))
    conn.execute(evidence.update().where(evidence.c.period_key.isnot(None), evidence.c.proves.is_(None))
                 .values(proves=evidence.c.period_key))
    op.drop_table('evidence_opening')
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_column('deleted_at')
        batch_op.drop_column('period_key')
