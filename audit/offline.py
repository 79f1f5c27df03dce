"""Offline verifier: needs only an export and the public key, not the database.

    python -m audit.offline EXPORT.jsonl --public-key KEY [--checkpoints TENANT.jsonl ...]

KEY is the base64 (or hex, or PEM file) key from GET /api/v1/audit/public-key. Further
checkpoint files (the copies kept outside the database) are checked alongside. Exit 0 when
the log verifies, 1 with the first bad sequence number otherwise.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from audit import signing
from audit.checkpoints import from_json
from audit.verify import EntryRecord, Verdict, merge_checkpoints, verify_log


def read_export(path: Path) -> Iterator[dict[str, Any]]:
    """The records of a JSON-lines or CSV export, as dictionaries."""
    with path.open(newline="") as f:
        if path.suffix == ".csv":
            for row in csv.DictReader(f):
                if row["recordType"] == "entry":
                    yield {
                        "type": "entry",
                        "seq": int(row["seq"]),
                        "prevHash": row["prevHash"],
                        "entryHash": row["entryHash"],
                        "body": row["body"],
                    }
                else:
                    yield json.loads(row["checkpoint"])
        else:
            for line in f:
                if line.strip():
                    yield json.loads(line)


def verify_export(
    path: Path, public_key: str, extra_checkpoints: list[Path] | None = None
) -> Verdict:
    """Verify an export against the public key alone, without access to the database."""
    records = list(read_export(path))
    header = next((r for r in records if r["type"] == "header"), None)
    if header is None:
        return Verdict().fail(0, "the export has no header")
    key = signing.parse_public_key(_key_text(public_key))
    sources = [("export", [from_json(r) for r in records if r["type"] == "checkpoint"])]
    for extra in extra_checkpoints or []:
        lines = extra.read_text().splitlines()
        sources.append((extra.name, [from_json(json.loads(line)) for line in lines if line]))
    found = merge_checkpoints(sources, key, header["tenant"])
    if isinstance(found, Verdict):
        return found
    entries = (
        EntryRecord(int(r["seq"]), r["prevHash"], r["entryHash"], r["body"].encode())
        for r in records
        if r["type"] == "entry"
    )
    return verify_log(entries, found, key, header["tenant"])


def _key_text(value: str) -> str:
    path = Path(value)
    return path.read_text() if len(value) < 4096 and path.is_file() else value


def main(argv: list[str] | None = None) -> int:
    """`python -m audit.offline`: exit 0 when the export verifies, 1 otherwise."""
    parser = argparse.ArgumentParser(
        prog="python -m audit.offline", description=__doc__.split("\n")[0]
    )
    parser.add_argument("export", type=Path, help="export file (.jsonl or .csv)")
    parser.add_argument("--public-key", required=True, help="base64/hex key, or a PEM file")
    parser.add_argument(
        "--checkpoints",
        type=Path,
        action="append",
        default=[],
        help="a checkpoint file kept outside the database (repeatable)",
    )
    args = parser.parse_args(argv)
    verdict = verify_export(args.export, args.public_key, args.checkpoints)
    if verdict.ok:
        print(f"ok: {verdict.entries} entries, {verdict.checkpoints} checkpoints verified")
        return 0
    print(f"FAILED at sequence number {verdict.first_bad_seq}: {verdict.reason}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
