"""confidential case notes, encrypted at rest

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
    pass


def downgrade():
    pass
