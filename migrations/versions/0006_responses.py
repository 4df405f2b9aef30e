"""responses: provider events, replies and logged responses, chasing, evidence records

Revision ID: 0006_responses
Revises: 0001_foundation
Create Date: 2026-11-29 19:40:00

"""
from alembic import op
import sqlalchemy as sa

import core.db


# revision identifiers, used by Alembic.
revision = '0006_responses'
down_revision = '0005_mailings'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('message_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sg_event_id', sa.String(length=100), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('occurred_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('received_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('machine', sa.Boolean(), nullable=False),
    sa.Column('detail', sa.String(length=500), nullable=False),
    sa.CheckConstraint("kind IN ('processed', 'delivered', 'deferred', 'bounce', 'dropped', 'open', 'click', 'spamreport', 'unsubscribe', 'group_unsubscribe', 'group_resubscribe')", name=op.f('ck_message_events_kind')),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_message_events_message_id_messages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_events')),
    sa.UniqueConstraint('sg_event_id', name=op.f('uq_message_events_sg_event_id'))
    )
    with op.batch_alter_table('message_events', schema=None) as batch_op:
        batch_op.create_index('ix_message_events_message_id_occurred_at', ['message_id', 'occurred_at'], unique=False)

    op.create_table('responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('occurred_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('subject', sa.String(length=500), nullable=False),
    sa.Column('from_address', sa.String(length=254), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('mail_message_id', sa.String(length=300), nullable=True),
    sa.Column('auto_reason', sa.String(length=100), nullable=True),
    sa.Column('classification', sa.String(length=20), nullable=True),
    sa.Column('suggested', sa.String(length=20), nullable=True),
    sa.Column('outcome', sa.String(length=10), nullable=True),
    sa.Column('follow_up_on', sa.Date(), nullable=True),
    sa.Column('follow_up_done_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("classification IN ('acknowledgement', 'substantive', 'refusal', 'action_taken') OR classification IS NULL", name=op.f('ck_responses_classification')),
    sa.CheckConstraint("kind IN ('reply', 'auto_reply', 'meeting', 'call', 'letter', 'statement', 'visit')", name=op.f('ck_responses_kind')),
    sa.CheckConstraint("outcome IN ('positive', 'neutral', 'negative') OR outcome IS NULL", name=op.f('ck_responses_outcome')),
    sa.CheckConstraint("suggested IN ('acknowledgement', 'substantive', 'refusal', 'action_taken') OR suggested IS NULL", name=op.f('ck_responses_suggested')),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_responses_contact_id_contacts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_responses_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_responses_message_id_messages'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_responses')),
    sa.UniqueConstraint('mail_message_id', name=op.f('uq_responses_mail_message_id'))
    )
    with op.batch_alter_table('responses', schema=None) as batch_op:
        for column in ('case_id', 'classification', 'contact_id', 'created_by_id', 'follow_up_on', 'kind',
                       'message_id', 'occurred_at'):
            batch_op.create_index(batch_op.f(f'ix_responses_{column}'), [column], unique=False)

    op.create_table('response_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_response_attachments_response_id_responses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_response_attachments'))
    )
    with op.batch_alter_table('response_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_response_attachments_response_id'), ['response_id'], unique=False)

    op.create_table('chase_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mailing_id', sa.Integer(), nullable=False),
    sa.Column('working_days', sa.Integer(), nullable=False),
    sa.Column('subject_prefix', sa.String(length=60), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('working_days > 0', name=op.f('ck_chase_rules_working_days')),
    sa.ForeignKeyConstraint(['mailing_id'], ['mailings.id'], name=op.f('fk_chase_rules_mailing_id_mailings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chase_rules')),
    sa.UniqueConstraint('mailing_id', name=op.f('uq_chase_rules_mailing_id'))
    )

    op.create_table('chases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('message_id_header', sa.String(length=300), nullable=False),
    sa.Column('provider_message_id', sa.String(length=200), nullable=True),
    sa.Column('error', sa.String(length=300), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state IN ('sending', 'sent', 'failed')", name=op.f('ck_chases_state')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_chases_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_chases_message_id_messages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chases')),
    sa.UniqueConstraint('message_id', name=op.f('uq_chases_message_id'))
    )
    with op.batch_alter_table('chases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chases_created_by_id'), ['created_by_id'], unique=False)

    op.create_table('evidence_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('fact_key', sa.String(length=80), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_evidence_records_message_id_messages'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence_records')),
    sa.UniqueConstraint('case_id', 'fact_key', name='uq_evidence_records_case_id_fact_key'),
    sa.UniqueConstraint('case_id', 'seq', name='uq_evidence_records_case_id_seq'),
    sa.UniqueConstraint('hash', name=op.f('uq_evidence_records_hash'))
    )
    with op.batch_alter_table('evidence_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_records_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_records_message_id'), ['message_id'], unique=False)


def downgrade():
    for table in ('evidence_records', 'chases', 'chase_rules', 'response_attachments', 'responses', 'message_events'):
        op.drop_table(table)
