"""supporters sign anonymously unless a drive says otherwise; each user's own time zone

Drives gain `default_display`: the choice the public sign form starts with. It is "anonymous" (the
least identifying) for every drive, existing ones included: a supporter a state may be watching should
have to choose to be named, not remember to hide. A campaigner may change it per drive.

Users gain `time_zone` (an IANA name such as "Asia/Almaty"): send times are entered and shown in it,
and stored in UTC. Empty until chosen: UTC is shown meanwhile.

Revision ID: 0014_ui
Revises: 0013_one_ledger
Create Date: 2026-12-08 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_ui'
down_revision = '0013_one_ledger'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('drives', schema=None) as batch_op:
        batch_op.add_column(sa.Column('default_display', sa.String(length=10), server_default='anonymous',
                                      nullable=False))
        batch_op.create_check_constraint(batch_op.f('ck_drives_default_display'),
                                         "default_display IN ('full', 'initial', 'anonymous')")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('time_zone', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('time_zone')
    with op.batch_alter_table('drives', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_drives_default_display'), type_='check')
        batch_op.drop_column('default_display')
