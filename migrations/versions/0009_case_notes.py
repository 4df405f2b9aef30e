"""confidential case notes, encrypted at rest

Adds `cases.notes` and widens the case columns that are now `EncryptedText` to TEXT (a ciphertext
is longer than its plaintext: 300 characters of Cyrillic do not fit a VARCHAR(300) once encrypted).
Rows written before this revision hold plain text; the app reads them back as they are, and
`flask keys rotate` encrypts them in place. Run it once after upgrading.

Revision ID: 0009_case_notes
Revises: 0008_merge
Create Date: 2026-11-29 21:30:00

"""
from alembic import op
import sqlalchemy as sa

import core.db
import core.crypto


# revision identifiers, used by Alembic.
revision = '0009_case_notes'
down_revision = '0008_merge'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notes', core.crypto.EncryptedText(), nullable=False, server_default=''))
        batch_op.alter_column('place_of_detention', existing_type=sa.String(length=300), type_=sa.Text(),
                              existing_nullable=False)

    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.alter_column('source_url', existing_type=sa.String(length=500), type_=sa.Text(),
                              existing_nullable=False)


def downgrade():
    # The notes are lost. The widened columns stay TEXT: encrypted values no longer fit the old
    # lengths. They also stay encrypted, and code before this revision would show them as ciphertext.
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('notes')
