"""automation_change_target.variables: a device's own variables over the change's common ones

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-29 19:20:00

Each switch of a change may need its own values (its SVI address, its access ports): they are kept on its
target row and merged over the change's variables when its commands are rendered. Existing rows get {}.
"""
import sqlalchemy as sa
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('automation_change_target') as batch:
        batch.add_column(sa.Column('variables', sa.JSON(), server_default='{}', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('automation_change_target') as batch:
        batch.drop_column('variables')
