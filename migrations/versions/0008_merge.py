"""one head for every branch

Revision ID: 0008_merge
Revises: 0004_security, 0006_responses, 0007_drives
Create Date: 2026-11-29 20:27:29.267062

"""
from alembic import op
import sqlalchemy as sa

import core.db


# revision identifiers, used by Alembic.
revision = '0008_merge'
down_revision = ('0004_security', '0006_responses', '0007_drives')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
