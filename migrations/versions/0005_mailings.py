"""mailings and messages

Revision ID: 0005_mailings
Revises: 0002_contacts, 0003_cases
Create Date: 2026-11-29 19:30:00

"""
from alembic import op
import sqlalchemy as sa

import core.db


# revision identifiers, used by Alembic.
revision = '0005_mailings'
# A merge of the two revisions whose tables ours reference: Alembic 1.20 cannot apply a sibling branch
# of 0001 that `depends_on` other siblings (it fails with KeyError: '0001_foundation').
down_revision = ('0002_contacts', '0003_cases')
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('mailings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=True),
    sa.Column('case_ids', sa.JSON(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('audience', sa.JSON(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('added_since', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('from_name', sa.String(length=200), nullable=False),
    sa.Column('from_email', sa.String(length=254), nullable=False),
    sa.Column('reply_to', sa.String(length=254), nullable=True),
    sa.Column('tracking', sa.Boolean(), nullable=False),
    sa.Column('rate_per_minute', sa.Integer(), nullable=True),
    sa.Column('send_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('paused_reason', sa.String(length=300), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("rate_per_minute IS NULL OR rate_per_minute > 0", name=op.f('ck_mailings_rate_per_minute')),
    sa.CheckConstraint("source IN ('audience', 'failed_of', 'added_since')", name=op.f('ck_mailings_source')),
    sa.CheckConstraint("status IN ('draft', 'scheduled', 'sending', 'paused', 'done', 'cancelled')", name=op.f('ck_mailings_status')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_mailings_campaign_id_campaigns'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_mailings_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['parent_id'], ['mailings.id'], name=op.f('fk_mailings_parent_id_mailings'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['template_id'], ['appeal_templates.id'], name=op.f('fk_mailings_template_id_appeal_templates'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mailings'))
    )
    with op.batch_alter_table('mailings', schema=None) as batch_op:
        for column in ('campaign_id', 'created_at', 'created_by_id', 'parent_id', 'send_at', 'status', 'template_id'):
            batch_op.create_index(batch_op.f(f'ix_mailings_{column}'), [column], unique=False)

    op.create_table('messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mailing_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('language', sa.String(length=35), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('provider_message_id', sa.String(length=200), nullable=True),
    sa.Column('message_id_header', sa.String(length=300), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=True),
    sa.Column('lease_until', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=300), nullable=True),
    sa.Column('queued_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('dispatched_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sent_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('provider_seen_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_messages_attempts')),
    sa.CheckConstraint("state IN ('queued', 'sending', 'sent', 'unknown', 'failed', 'cancelled', 'delivered', 'deferred', 'opened', 'clicked', 'replied', 'bounced', 'dropped')", name=op.f('ck_messages_state')),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_messages_contact_id_contacts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['mailing_id'], ['mailings.id'], name=op.f('fk_messages_mailing_id_mailings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messages')),
    sa.UniqueConstraint('key', name=op.f('uq_messages_key')),
    sa.UniqueConstraint('mailing_id', 'email', name='uq_messages_mailing_id_email')
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_messages_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index('ix_messages_mailing_id_state', ['mailing_id', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_messages_message_id_header'), ['message_id_header'], unique=False)
        batch_op.create_index(batch_op.f('ix_messages_provider_message_id'), ['provider_message_id'], unique=False)
        batch_op.create_index('ix_messages_state_lease_until', ['state', 'lease_until'], unique=False)


def downgrade():
    op.drop_table('messages')
    op.drop_table('mailings')
