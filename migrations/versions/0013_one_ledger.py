"""one ledger for every outgoing message: single messages beside mailings' recipients

Messages gain `kind` (what the message is for), `ref` (the one thing it was sent for, unique per
kind) and `sealed` (the encrypted envelope of a single message until it settles); `mailing_id` may be
empty for a message that belongs to no mailing.

A reminder (`chases`) and a drive's letter or digest (`drive_deliveries`) no longer keep a state of
their own: each points at its ledger row (`sent_id`). Existing ones get one each, their state carried
over (one that was still "sending" becomes an "unknown" held for a person: nobody knows whether it
went).

Revision ID: 0013_one_ledger
Revises: 0012_senders
Create Date: 2026-12-06 03:00:00

"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_one_ledger'
down_revision = '0012_senders'
branch_labels = None
depends_on = None

KINDS = "'mailing', 'test', 'chase', 'drive_letter', 'confirmation', 'invitation'"


def upgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=20), server_default='mailing', nullable=False))
        batch_op.add_column(sa.Column('ref', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('sealed', sa.Text(), nullable=True))
        batch_op.alter_column('mailing_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_unique_constraint(batch_op.f('uq_messages_kind_ref'), ['kind', 'ref'])
        batch_op.create_check_constraint(batch_op.f('ck_messages_kind'), f"kind IN ({KINDS})")
        batch_op.create_check_constraint(batch_op.f('ck_messages_kind_mailing'), "(kind = 'mailing') = (mailing_id IS NOT NULL)")

    with op.batch_alter_table('chases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sent_id', sa.Integer(), nullable=True))
    _reminders_into_the_ledger()
    with op.batch_alter_table('chases', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_chases_state'), type_='check')
        batch_op.drop_column('state')
        batch_op.drop_column('message_id_header')
        batch_op.drop_column('provider_message_id')
        batch_op.drop_column('error')
        batch_op.drop_column('sent_at')
        batch_op.alter_column('sent_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_chases_sent_id'), ['sent_id'])
        batch_op.create_foreign_key(batch_op.f('fk_chases_sent_id_messages'), 'messages', ['sent_id'], ['id'],
                                    ondelete='CASCADE')

    with op.batch_alter_table('drive_deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sent_id', sa.Integer(), nullable=True))
    _deliveries_into_the_ledger()
    with op.batch_alter_table('drive_deliveries', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_drive_deliveries_state'), type_='check')
        batch_op.drop_index(batch_op.f('ix_drive_deliveries_state'))
        batch_op.drop_column('state')
        batch_op.drop_column('message_id')
        batch_op.drop_column('error')
        batch_op.drop_column('sent_at')
        batch_op.create_unique_constraint(batch_op.f('uq_drive_deliveries_sent_id'), ['sent_id'])
        batch_op.create_foreign_key(batch_op.f('fk_drive_deliveries_sent_id_messages'), 'messages', ['sent_id'],
                                    ['id'], ondelete='SET NULL')


def _deliveries_into_the_ledger():
    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT id, drive_id, contact_id, email, batch, state, message_id, error, created_at, sent_at "
        "FROM drive_deliveries WHERE kind IN ('compiled', 'digest')")).all()
    for r in rows:
        new_id = _ledger_row(conn, kind='drive_letter', ref=f"drive:{r.drive_id}:batch:{r.batch}:legacy:{r.id}",
                             email=r.email or f"erased-delivery-{r.id}@erased.invalid", contact_id=r.contact_id,
                             language=None, state={'sending': 'unknown'}.get(r.state, r.state),
                             message_id_header=r.message_id, provider_message_id=None, last_error=r.error,
                             queued_at=r.created_at, sent_at=r.sent_at)
        conn.execute(sa.text("UPDATE drive_deliveries SET sent_id = :s WHERE id = :d"), {"s": new_id, "d": r.id})


def _ledger_row(conn, **values) -> int:
    messages = sa.table('messages', *(sa.column(n) for n in (
        'id', 'kind', 'ref', 'email', 'contact_id', 'language', 'state', 'key', 'message_id_header',
        'provider_message_id', 'last_error', 'attempts', 'queued_at', 'sent_at', 'updated_at')))
    return conn.execute(sa.insert(messages).values(key=secrets.token_urlsafe(15), attempts=1,
                                                   updated_at=values['queued_at'], **values)
                        .returning(messages.c.id)).scalar_one()


def _reminders_into_the_ledger():
    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT c.id, c.state, c.message_id_header, c.provider_message_id, c.error, c.created_at, c.sent_at, "
        "m.email, m.contact_id, m.language FROM chases c JOIN messages m ON m.id = c.message_id")).all()
    for r in rows:
        new_id = _ledger_row(conn, kind='chase', ref=None, email=r.email, contact_id=r.contact_id,
                             language=r.language, state={'sending': 'unknown'}.get(r.state, r.state),
                             message_id_header=r.message_id_header, provider_message_id=r.provider_message_id,
                             last_error=r.error, queued_at=r.created_at, sent_at=r.sent_at)
        conn.execute(sa.text("UPDATE chases SET sent_id = :s WHERE id = :c"), {"s": new_id, "c": r.id})


def downgrade():
    with op.batch_alter_table('drive_deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state', sa.String(length=10), server_default='sent', nullable=False))
        batch_op.add_column(sa.Column('message_id', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('error', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE drive_deliveries SET state = COALESCE((SELECT CASE WHEN m.state IN ('queued', 'sending', "
               "'unknown') THEN 'sending' WHEN m.state = 'failed' THEN 'failed' ELSE 'sent' END FROM messages m "
               "WHERE m.id = drive_deliveries.sent_id), 'sent')")
    with op.batch_alter_table('drive_deliveries', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_drive_deliveries_sent_id_messages'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_drive_deliveries_sent_id'), type_='unique')
        batch_op.drop_column('sent_id')
        batch_op.create_index(batch_op.f('ix_drive_deliveries_state'), ['state'], unique=False)
        batch_op.create_check_constraint(batch_op.f('ck_drive_deliveries_state'), "state IN ('sending', 'sent', 'failed')")
    with op.batch_alter_table('chases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state', sa.String(length=10), server_default='sent', nullable=False))
        batch_op.add_column(sa.Column('message_id_header', sa.String(length=300), server_default='', nullable=False))
        batch_op.add_column(sa.Column('provider_message_id', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('error', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE chases SET state = COALESCE((SELECT CASE WHEN m.state IN ('queued', 'sending', 'unknown') "
               "THEN 'sending' WHEN m.state = 'failed' THEN 'failed' ELSE 'sent' END FROM messages m "
               "WHERE m.id = chases.sent_id), 'sent'), message_id_header = COALESCE((SELECT m.message_id_header "
               "FROM messages m WHERE m.id = chases.sent_id), '')")
    with op.batch_alter_table('chases', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_chases_sent_id_messages'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_chases_sent_id'), type_='unique')
        batch_op.drop_column('sent_id')
        batch_op.create_check_constraint(batch_op.f('ck_chases_state'), "state IN ('sending', 'sent', 'failed')")
    op.execute("DELETE FROM messages WHERE mailing_id IS NULL")
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_constraint('ck_messages_kind_mailing', type_='check')
        batch_op.drop_constraint('ck_messages_kind', type_='check')
        batch_op.drop_constraint(batch_op.f('uq_messages_kind_ref'), type_='unique')
        batch_op.alter_column('mailing_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('sealed')
        batch_op.drop_column('ref')
        batch_op.drop_column('kind')
