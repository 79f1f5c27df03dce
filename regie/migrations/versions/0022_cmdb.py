"""The CMDB: the tenant's own CI classes, CIs with a version row per write, relations that are
added and removed (never edited), and the CI a catalogue service stands for. The sourcing
register: suppliers (and sub-suppliers), their contracts, certifications and exit and
continuity plans, and the warnings given ahead of their dates.

Built-in classes are held in code (cmdb/builtin.py), so nothing is seeded here.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.types
from regie.migrations import rls

TENANT_TABLES = ("cmdb_ci_class", "cmdb_ci", "cmdb_ci_version", "cmdb_ci_relation")
SOURCING_TABLES = (
    "services_supplier",
    "services_supplier_contract",
    "services_supplier_certification",
    "services_supplier_plan",
    "services_sourcing_warning",
)
CI_STATUS = sa.Enum("planned", "active", "retired", name="cistatus", native_enum=False, length=20)

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _tenant_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id"], ["core_tenant.id"], name=op.f(f"fk_{table}_tenant_id_core_tenant")
    )


def _ci_fk(column: str, name: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id", column], ["cmdb_ci.tenant_id", "cmdb_ci.id"], name=name
    )


def upgrade() -> None:
    when = core.types.UTCDateTime(timezone=True)
    op.create_table(
        "cmdb_ci_class",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=4000), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.Column("updated_at", when, nullable=False),
        _tenant_fk("cmdb_ci_class"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_cmdb_ci_class")),
        sa.UniqueConstraint("tenant_id", "key", name="uq_cmdb_ci_class_key"),
    )
    op.create_table(
        "cmdb_ci",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("class_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("natural_key", sa.String(length=200), nullable=False),
        sa.Column("status", CI_STATUS, nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=True),
        sa.Column("owner", sa.String(length=200), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.Column("updated_at", when, nullable=False),
        _tenant_fk("cmdb_ci"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_cmdb_ci")),
        sa.UniqueConstraint("tenant_id", "class_id", "natural_key", name="uq_cmdb_ci_natural_key"),
    )
    with op.batch_alter_table("cmdb_ci", schema=None) as batch_op:
        batch_op.create_index("ix_cmdb_ci_created", ["tenant_id", "created_at", "id"])
        batch_op.create_index("ix_cmdb_ci_name", ["tenant_id", "name", "id"])

    op.create_table(
        "cmdb_ci_version",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("ci_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "action",
            sa.Enum("created", "updated", name="versionaction", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("at", when, nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("class_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("natural_key", sa.String(length=200), nullable=False),
        sa.Column("status", CI_STATUS, nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=True),
        sa.Column("owner", sa.String(length=200), nullable=True),
        _ci_fk("ci_id", op.f("fk_cmdb_ci_version_tenant_id_cmdb_ci")),
        _tenant_fk("cmdb_ci_version"),
        sa.PrimaryKeyConstraint("tenant_id", "ci_id", "version", name=op.f("pk_cmdb_ci_version")),
    )
    with op.batch_alter_table("cmdb_ci_version", schema=None) as batch_op:
        batch_op.create_index("ix_cmdb_ci_version_at", ["tenant_id", "ci_id", "at"])

    op.create_table(
        "cmdb_ci_relation",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("source_id", sa.Uuid(), nullable=False),
        sa.Column("target_id", sa.Uuid(), nullable=False),
        sa.Column(
            "type",
            sa.Enum(
                "depends-on",
                "runs-on",
                "connects-to",
                "provided-by",
                "part-of",
                name="relationtype",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("created_at", when, nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_by_name", sa.String(length=200), nullable=False),
        sa.Column("removed_at", when, nullable=True),
        sa.Column("removed_by", sa.String(length=80), nullable=True),
        sa.Column("removed_by_name", sa.String(length=200), nullable=True),
        _ci_fk("source_id", "fk_cmdb_ci_relation_source_cmdb_ci"),
        _ci_fk("target_id", "fk_cmdb_ci_relation_target_cmdb_ci"),
        _tenant_fk("cmdb_ci_relation"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_cmdb_ci_relation")),
    )
    current = sa.text("removed_at IS NULL")
    with op.batch_alter_table("cmdb_ci_relation", schema=None) as batch_op:
        batch_op.create_index("ix_cmdb_ci_relation_source", ["tenant_id", "source_id", "target_id"])
        batch_op.create_index("ix_cmdb_ci_relation_target", ["tenant_id", "target_id", "source_id"])
        batch_op.create_index(
            "uq_cmdb_ci_relation_current",
            ["tenant_id", "source_id", "target_id", "type"],
            unique=True,
            sqlite_where=current,
            postgresql_where=current,
        )

    with op.batch_alter_table("services_catalogue_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ci_id", sa.Uuid(), nullable=True))
        batch_op.create_index("ix_services_catalogue_entry_ci", ["tenant_id", "ci_id"])

    _sourcing()
    for table in TENANT_TABLES + SOURCING_TABLES:
        rls.tenant_table(table)


def _enum(name: str, *values: str, length: int = 20) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=length)


def _record(table: str, *columns: sa.Column, versioned: bool = True) -> None:
    """A table of one supplier's records: tenant, id, supplier, `columns`, version, times."""
    when = core.types.UTCDateTime(timezone=True)
    op.create_table(
        table,
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("supplier_id", sa.Uuid(), nullable=False),
        *columns,
        *([sa.Column("version", sa.Integer(), nullable=False)] if versioned else []),
        sa.Column("created_at", when, nullable=False),
        *([sa.Column("updated_at", when, nullable=False)] if versioned else []),
        sa.ForeignKeyConstraint(
            ["tenant_id", "supplier_id"],
            ["services_supplier.tenant_id", "services_supplier.id"],
            name=f"fk_{table}_supplier",
        ),
        _tenant_fk(table),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f(f"pk_{table}")),
    )


def _sourcing() -> None:
    when = core.types.UTCDateTime(timezone=True)
    op.create_table(
        "services_supplier",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("delivery_countries", sa.JSON(), nullable=True),
        sa.Column("processing_countries", sa.JSON(), nullable=True),
        sa.Column("last_risk_analysis_on", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.Column("updated_at", when, nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "parent_id"],
            ["services_supplier.tenant_id", "services_supplier.id"],
            name="fk_services_supplier_parent",
        ),
        _tenant_fk("services_supplier"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_services_supplier")),
        sa.UniqueConstraint("tenant_id", "name", name="uq_services_supplier_name"),
    )
    forms = ("saas", "paas", "iaas", "managed-service", "software-licence", "consultancy", "other")
    _record(
        "services_supplier_contract",
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("notice_days", sa.Integer(), nullable=False),
        sa.Column("delivery_form", _enum("deliveryform", *forms), nullable=False),
        sa.Column("regime", _enum("regime", "regular", "strict"), nullable=False),
    )
    _record(
        "services_supplier_certification",
        sa.Column("kind", sa.String(length=100), nullable=False),
        sa.Column("scope", sa.String(length=2000), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
    )
    _record(
        "services_supplier_plan",
        sa.Column("kind", _enum("plankind", "exit", "continuity"), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("last_tested_on", sa.Date(), nullable=True),
    )
    kinds = ("contract-end", "notice-deadline", "certification-expiry", "exit-plan-untested")
    _record(
        "services_sourcing_warning",
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("kind", _enum("warningkind", *kinds, length=24), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.UniqueConstraint(
            "tenant_id", "subject_id", "kind", "due_on", name="uq_services_sourcing_warning_due"
        ),
        versioned=False,
    )
    indexes = {
        "services_supplier_contract": ("ix_services_supplier_contract_end", ["ends_on"]),
        "services_supplier_certification": (
            "ix_services_supplier_certification_expiry",
            ["expires_on"],
        ),
        "services_sourcing_warning": ("ix_services_sourcing_warning_created", ["created_at", "id"]),
    }
    for table, (name, columns) in indexes.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(name, ["tenant_id", *columns])


def downgrade() -> None:
    for table in reversed(SOURCING_TABLES):
        rls.drop_tenant_table_policy(table)
        op.drop_table(table)
    with op.batch_alter_table("services_catalogue_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_services_catalogue_entry_ci")
        batch_op.drop_column("ci_id")
    for table in reversed(TENANT_TABLES):
        rls.drop_tenant_table_policy(table)
        op.drop_table(table)
