"""Classified systems out of migration plans and private networks

Revision ID: 0019
Revises: 0017
Create Date: 2026-11-29 16:40:00

Until now a system marked classified (涉密) after it joined a cloud plan or a private network stayed there,
and the plan workbook export and the plan pages showed it. From now on the marking takes it out
(control/systems/service.py: leave_plans_and_networks, audited per plan and network). This removes what
earlier markings left behind: the plan rows of classified systems with their exception requests, and their
places on private networks. The audit log cannot be written from a migration (its chain is keyed by the
running service's secret), so this file is the record of that removal. The downgrade brings nothing back:
the rows should never have been kept.
"""
import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

CLASSIFIED = "SELECT id FROM information_system WHERE is_classified = :yes"


def upgrade() -> None:
    in_plans = f"SELECT id FROM migration_plan_system WHERE system_id IN ({CLASSIFIED})"
    for sql in (f"DELETE FROM migration_exception WHERE plan_system_id IN ({in_plans})",
                f"DELETE FROM migration_plan_system WHERE system_id IN ({CLASSIFIED})",
                f"DELETE FROM private_network_system WHERE system_id IN ({CLASSIFIED})"):
        op.execute(sa.text(sql).bindparams(yes=True))


def downgrade() -> None:
    """Nothing to restore (see the module docstring)."""
