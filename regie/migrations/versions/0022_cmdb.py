"""The CMDB: the tenant's own CI classes, CIs with a version row per write, relations that are
added and removed (never edited), and the CI a catalogue service stands for.

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

    for table in TENANT_TABLES:
        rls.tenant_table(table)


def downgrade() -> None:
    with op.batch_alter_table("services_catalogue_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_services_catalogue_entry_ci")
        batch_op.drop_column("ci_id")
    for table in reversed(TENANT_TABLES):
        rls.drop_tenant_table_policy(table)
        op.drop_table(table)
