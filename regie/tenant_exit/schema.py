"""SCHEMA.md: each file of an export and its columns, generated from the table metadata."""

from __future__ import annotations

from sqlalchemy import Table
from sqlmodel import SQLModel

from regie.tenant_exit import manifest, registers
from regie.tenant_exit.tables import tenant_table, tenant_tables, type_name

FILE = "SCHEMA.md"

INTRO = f"""# Schema of this export ({manifest.FORMAT})

- `manifest.json`: format, tenant, schema revision, row count per table, and SHA-256, size
  and line count of every other file; signed (Ed25519) with the supplier's audit key over the
  manifest without its `signature` member, serialised as compact JSON with sorted keys and
  prefixed by `regie-tenant-export/v1` and a newline.
- `tables/<table>.jsonl`: one JSON object per row, keys are the column names below, rows in
  primary-key order. `tables/core_tenant.jsonl` holds the tenant itself.
- `files/<table>/<key>.bin`: stored files (attachments, rendered reports), named in their
  row as `{{"path": ..., "sha256": ...}}`.
- `audit/log.jsonl`: the audit log with its signed checkpoints in the audit export format
  (`regie-audit-export/v1`), verifiable offline with `python -m audit.offline`.
- `registers/<register>.csv` and `registers/registers.ods`: the registers for people
  ({", ".join(registers.REGISTERS)}), all columns but the tenant and files.
"""


def describe(counts: dict[str, int]) -> str:
    """The document for an export with these row counts per table."""
    parts = [INTRO]
    for table in [tenant_table(), *tenant_tables()]:
        parts.append(_table(table, counts.get(table.name, 0)))
    return "\n".join(parts)


def _table(table: Table, rows: int) -> str:
    keys = {c.name for c in table.primary_key.columns}
    lines = [
        f"## tables/{table.name}.jsonl ({rows} rows)",
        "",
        _doc(table),
        "",
        "| column | type | null | key | references |",
        "|---|---|---|---|---|",
    ]
    for c in table.columns:
        refs = ", ".join(f"{fk.column.table.name}.{fk.column.name}" for fk in c.foreign_keys)
        lines.append(
            f"| {c.name} | {type_name(c)} | {'yes' if c.nullable else 'no'} "
            f"| {'primary' if c.name in keys else ''} | {refs} |"
        )
    return "\n".join(lines) + "\n"


def _doc(table: Table) -> str:
    """The model's docstring, when it has one."""
    for mapper in SQLModel._sa_registry.mappers:
        if mapper.local_table is table:
            return " ".join((mapper.class_.__doc__ or "").split())
    return ""
