"""cases, case events and photos, campaigns, appeal templates and their language variants

Revision ID: 0003_cases
Revises: 0001_foundation
Create Date: 2026-11-29 19:05:00

"""
from alembic import op
import sqlalchemy as sa

import core.db


# revision identifiers, used by Alembic.
revision = '0003_cases'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('alias', sa.String(length=200), nullable=False),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('charges', sa.Text(), nullable=False),
    sa.Column('arrest_date', sa.Date(), nullable=True),
    sa.Column('place_of_detention', sa.String(length=300), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('detained', 'on_trial', 'sentenced', 'house_arrest', 'released', 'other')", name=op.f('ck_cases_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cases_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_public'), ['public'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_updated_at'), ['updated_at'], unique=False)

    op.create_table('campaigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('goal', sa.Text(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=True),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on', name=op.f('ck_campaigns_dates_in_order')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns')),
    sa.UniqueConstraint('name', name=op.f('uq_campaigns_name'))
    )
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaigns_ends_on'), ['ends_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_campaigns_starts_on'), ['starts_on'], unique=False)

    op.create_table('case_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('happened_on', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('source_url', sa.String(length=500), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('arrest', 'hearing', 'sentence', 'transfer', 'health', 'hunger_strike', 'release', 'other')", name=op.f('ck_case_events_kind')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_events_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_events'))
    )
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.create_index('ix_case_events_case_id_happened_on', ['case_id', 'happened_on'], unique=False)

    op.create_table('case_photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('content_type', sa.String(length=30), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('caption', sa.String(length=300), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_photos_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_photos'))
    )
    with op.batch_alter_table('case_photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_photos_case_id'), ['case_id'], unique=False)

    op.create_table('campaign_cases',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_cases_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_campaign_cases_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', 'case_id', name=op.f('pk_campaign_cases'))
    )
    with op.batch_alter_table('campaign_cases', schema=None) as batch_op:
        batch_op.create_index('ix_campaign_cases_case_id', ['case_id'], unique=False)

    op.create_table('appeal_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('source_language', sa.String(length=35), nullable=False),
    sa.Column('starter_key', sa.String(length=60), nullable=True),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_appeal_templates_campaign_id_campaigns'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appeal_templates')),
    sa.UniqueConstraint('starter_key', name=op.f('uq_appeal_templates_starter_key'))
    )
    with op.batch_alter_table('appeal_templates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appeal_templates_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appeal_templates_name'), ['name'], unique=False)

    op.create_table('appeal_template_cases',
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_appeal_template_cases_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['template_id'], ['appeal_templates.id'], name=op.f('fk_appeal_template_cases_template_id_appeal_templates'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('template_id', 'case_id', name=op.f('pk_appeal_template_cases'))
    )
    with op.batch_alter_table('appeal_template_cases', schema=None) as batch_op:
        batch_op.create_index('ix_appeal_template_cases_case_id', ['case_id'], unique=False)

    op.create_table('appeal_template_variants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=35), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('source_version', sa.Integer(), nullable=True),
    sa.Column('needs_review', sa.Boolean(), nullable=False),
    sa.Column('updated_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['template_id'], ['appeal_templates.id'], name=op.f('fk_appeal_template_variants_template_id_appeal_templates'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appeal_template_variants')),
    sa.UniqueConstraint('template_id', 'language', name=op.f('uq_appeal_template_variants_template_id'))
    )
    with op.batch_alter_table('appeal_template_variants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appeal_template_variants_needs_review'), ['needs_review'], unique=False)


def downgrade():
    op.drop_table('appeal_template_variants')
    op.drop_table('appeal_template_cases')
    op.drop_table('appeal_templates')
    op.drop_table('campaign_cases')
    op.drop_table('case_photos')
    op.drop_table('case_events')
    op.drop_table('campaigns')
    op.drop_table('cases')
