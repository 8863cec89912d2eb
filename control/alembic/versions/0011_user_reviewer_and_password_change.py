"""reviewer designation and forced password change on users

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 10:15:00

Any department user could sign a review level; an admin now designates the reviewers. An admin can
also hand out a temporary password that must be changed at the next login.
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reviewer', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')
        batch_op.drop_column('reviewer')
