"""sender identities, chosen by mailings, drives and as a campaign's default

Adds `sender_identities` (label, From name and address, optional Reply-To), `campaigns.default_sender_id`,
`mailings.sender_id` (the mailing keeps its own from_name/from_email/reply_to as the record of what was
sent) and `drives.sender_id` (deliveries and confirmation mails go out under it; none: MAIL_FROM).
A drive's identity cannot be deleted while the drive names it.

Revision ID: 0012_senders
Revises: 0011_contact_unused_indexes
Create Date: 2026-12-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa

import core.db


# revision identifiers, used by Alembic.
revision = '0012_senders'
down_revision = '0011_contact_unused_indexes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sender_identities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('from_name', sa.String(length=200), nullable=False),
    sa.Column('from_email', sa.String(length=254), nullable=False),
    sa.Column('reply_to', sa.String(length=254), nullable=True),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('length(label) > 0', name=op.f('ck_sender_identities_label')),
    sa.CheckConstraint("from_email LIKE '%_@_%'", name=op.f('ck_sender_identities_from_email')),
    sa.CheckConstraint("reply_to IS NULL OR reply_to LIKE '%_@_%'", name=op.f('ck_sender_identities_reply_to')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sender_identities')),
    sa.UniqueConstraint('label', name=op.f('uq_sender_identities_label'))
    )
    for table, column, ondelete in (('campaigns', 'default_sender_id', 'SET NULL'),
                                    ('mailings', 'sender_id', 'SET NULL'),
                                    ('drives', 'sender_id', 'RESTRICT')):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column(column, sa.Integer(), nullable=True))
            batch_op.create_index(batch_op.f(f'ix_{table}_{column}'), [column], unique=False)
            batch_op.create_foreign_key(batch_op.f(f'fk_{table}_{column}_sender_identities'), 'sender_identities',
                                        [column], ['id'], ondelete=ondelete)


def downgrade():
    for table, column in (('drives', 'sender_id'), ('mailings', 'sender_id'), ('campaigns', 'default_sender_id')):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'fk_{table}_{column}_sender_identities'), type_='foreignkey')
            batch_op.drop_index(batch_op.f(f'ix_{table}_{column}'))
            batch_op.drop_column(column)
    op.drop_table('sender_identities')
