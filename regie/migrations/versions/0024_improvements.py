"""The improvement register: items, their history and progress notes, the one ordered
backlog per tenant, the changes that realise an item and its evaluation.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.types
from regie.migrations import rls

TENANT_TABLES = (
    "services_improvement_backlog",
    "services_improvement_item",
    "services_improvement_change",
    "services_improvement_evaluation",
    "services_improvement_event",
)

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "services_improvement_backlog",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("item_ids", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["core_tenant.id"],
            name=op.f("fk_services_improvement_backlog_tenant_id_core_tenant"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_services_improvement_backlog")),
    )
    op.create_table(
        "services_improvement_item",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=20000), nullable=False),
        sa.Column(
            "source_kind",
            sa.Enum(
                "problem",
                "sla-breach-trend",
                "post-implementation-review",
                "audit-finding",
                "user-feedback",
                "supplier-proposal",
                name="sourcekind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("source_id", sa.Uuid(), nullable=True),
        sa.Column("source_month", sa.Date(), nullable=True),
        sa.Column("expected_benefit", sa.String(length=4000), nullable=True),
        sa.Column("kpi", sa.String(length=40), nullable=True),
        sa.Column("baseline", sa.Float(), nullable=True),
        sa.Column("target", sa.Float(), nullable=True),
        sa.Column("effort_days", sa.Float(), nullable=True),
        sa.Column("owner", sa.String(length=200), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "proposed",
                "accepted",
                "planned",
                "in-progress",
                "realised",
                "evaluated",
                "rejected",
                "withdrawn",
                name="status",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("proposed_by", sa.String(length=80), nullable=False),
        sa.Column("proposed_by_name", sa.String(length=200), nullable=False),
        sa.Column("decided_by", sa.String(length=80), nullable=True),
        sa.Column("decided_at", core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.String(length=2000), nullable=True),
        sa.Column("feed_key", sa.String(length=80), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["core_tenant.id"],
            name=op.f("fk_services_improvement_item_tenant_id_core_tenant"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_services_improvement_item")),
        sa.UniqueConstraint("tenant_id", "feed_key", name="uq_services_improvement_item_feed_key"),
    )
    with op.batch_alter_table("services_improvement_item", schema=None) as batch_op:
        batch_op.create_index(
            "ix_services_improvement_item_created", ["tenant_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_services_improvement_item_source",
            ["tenant_id", "source_kind", "source_id"],
            unique=False,
        )

    op.create_table(
        "services_improvement_change",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("change_id", sa.Uuid(), nullable=False),
        sa.Column("linked_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "item_id"],
            ["services_improvement_item.tenant_id", "services_improvement_item.id"],
            name=op.f("fk_services_improvement_change_tenant_id_services_improvement_item"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["core_tenant.id"],
            name=op.f("fk_services_improvement_change_tenant_id_core_tenant"),
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "item_id", "change_id", name=op.f("pk_services_improvement_change")
        ),
    )
    op.create_table(
        "services_improvement_evaluation",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("kpi", sa.String(length=40), nullable=False),
        sa.Column("before_period", sa.String(length=10), nullable=False),
        sa.Column("after_period", sa.String(length=10), nullable=False),
        sa.Column("before_value", sa.Float(), nullable=True),
        sa.Column("after_value", sa.Float(), nullable=True),
        sa.Column("baseline", sa.Float(), nullable=True),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("reached", sa.Boolean(), nullable=True),
        sa.Column("evaluated_by", sa.String(length=80), nullable=False),
        sa.Column("evaluated_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "item_id"],
            ["services_improvement_item.tenant_id", "services_improvement_item.id"],
            name=op.f("fk_services_improvement_evaluation_tenant_id_services_improvement_item"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["core_tenant.id"],
            name=op.f("fk_services_improvement_evaluation_tenant_id_core_tenant"),
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "item_id", name=op.f("pk_services_improvement_evaluation")
        ),
    )
    op.create_table(
        "services_improvement_event",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "created",
                "updated",
                "status",
                "decision",
                "note",
                "evaluated",
                "change-linked",
                name="eventkind",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("from_value", sa.String(length=200), nullable=True),
        sa.Column("to_value", sa.String(length=200), nullable=True),
        sa.Column("text", sa.String(length=4000), nullable=True),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "item_id"],
            ["services_improvement_item.tenant_id", "services_improvement_item.id"],
            name=op.f("fk_services_improvement_event_tenant_id_services_improvement_item"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["core_tenant.id"],
            name=op.f("fk_services_improvement_event_tenant_id_core_tenant"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_services_improvement_event")),
    )
    with op.batch_alter_table("services_improvement_event", schema=None) as batch_op:
        batch_op.create_index(
            "ix_services_improvement_event_at", ["tenant_id", "at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_services_improvement_event_item", ["tenant_id", "item_id", "at", "id"], unique=False
        )
    for table in TENANT_TABLES:
        rls.tenant_table(table)


def downgrade() -> None:
    for table in TENANT_TABLES:
        rls.drop_tenant_table_policy(table)
    with op.batch_alter_table("services_improvement_event", schema=None) as batch_op:
        batch_op.drop_index("ix_services_improvement_event_item")
        batch_op.drop_index("ix_services_improvement_event_at")

    op.drop_table("services_improvement_event")
    op.drop_table("services_improvement_evaluation")
    op.drop_table("services_improvement_change")
    with op.batch_alter_table("services_improvement_item", schema=None) as batch_op:
        batch_op.drop_index("ix_services_improvement_item_source")
        batch_op.drop_index("ix_services_improvement_item_created")

    op.drop_table("services_improvement_item")
    op.drop_table("services_improvement_backlog")
