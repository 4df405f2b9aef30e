"""drop two contacts indexes no query uses

`ix_contacts_verified_at` and `ix_contacts_created_at` were never read: "needs checking" reads
coalesce(verified_at, created_at), which `ix_contacts_checked_since` indexes, and no list sorts or
filters by either column alone. Every import paid for both on every new row.

Revision ID: 0011_contact_unused_indexes
Revises: 0010_contact_search
Create Date: 2026-11-30 00:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011_contact_unused_indexes'
down_revision = '0010_contact_search'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_index('ix_contacts_verified_at')
        batch_op.drop_index('ix_contacts_created_at')


def downgrade():
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.create_index('ix_contacts_created_at', ['created_at'], unique=False)
        batch_op.create_index('ix_contacts_verified_at', ['verified_at'], unique=False)
