"""imports from the page run as jobs: the upload and its progress live in the database

`import_uploads` is an uploaded CSV between its preview and the end of its import, and the import's
progress row; `import_chunks` holds the file (and later its rejected-rows report) in encrypted pieces,
so that any worker on any machine can read it. Uploads are deleted a day after they were made.

Revision ID: 0015_import_jobs
Revises: 0014_ui
Create Date: 2026-12-06 04:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_import_jobs'
down_revision = '0014_ui'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'import_uploads',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('user_email', sa.String(length=254), nullable=False),
        sa.Column('filename', sa.Text(), nullable=False),
        sa.Column('tags', sa.JSON(), nullable=False),
        sa.Column('mapping', sa.JSON(), nullable=True),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('rows_done', sa.Integer(), nullable=False),
        sa.Column('rows_total', sa.Integer(), nullable=True),
        sa.Column('result', sa.Text(), nullable=True),
        sa.Column('failure', sa.Text(), nullable=True),
        sa.Column('beat_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("state IN ('uploaded', 'queued', 'running', 'done', 'failed')",
                           name=op.f('ck_import_uploads_state')),
        sa.CheckConstraint('rows_done >= 0', name=op.f('ck_import_uploads_rows_done')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_import_uploads_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_import_uploads')),
    )
    with op.batch_alter_table('import_uploads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_uploads_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_import_uploads_user_id'), ['user_id'], unique=False)
    op.create_table(
        'import_chunks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('upload_id', sa.String(length=32), nullable=False),
        sa.Column('part', sa.String(length=6), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('data', sa.Text(), nullable=False),
        sa.CheckConstraint("part IN ('file', 'report')", name=op.f('ck_import_chunks_part')),
        sa.ForeignKeyConstraint(['upload_id'], ['import_uploads.id'],
                                name=op.f('fk_import_chunks_upload_id_import_uploads'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_import_chunks')),
        sa.UniqueConstraint('upload_id', 'part', 'seq', name='uq_import_chunks_upload_id'),
    )


def downgrade():
    op.drop_table('import_chunks')
    with op.batch_alter_table('import_uploads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_uploads_user_id'))
        batch_op.drop_index(batch_op.f('ix_import_uploads_created_at'))
    op.drop_table('import_uploads')
