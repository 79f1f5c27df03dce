"""The foundation GET benchmark with Entra-shaped bearer tokens instead of an API key.

Starts the test suite's real OpenID provider on loopback, binds the dataset's main tenant to
one of its directories, mints a token with an app role that may read the catalogue, and runs
`bench/run_foundation.py` against it. Run after `bench/dataset.py`:

    .venv/bin/python bench/bearer_tokens.py [run_foundation options, e.g. --workers 2]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tests.regie.test_up import free_port  # noqa: E402
from tests.support.oidc_provider import OidcProvider  # noqa: E402

ADMIN = "postgresql://postgres@127.0.0.1:5432/regie_bench"


def main(argv: list[str]) -> int:
    provider = OidcProvider(Path(tempfile.mkdtemp()), free_port())
    tid = provider.directory()
    reader = provider.principal(tid, roles=["kpi-viewer"], scp="access", idtyp="user")
    provider.start()
    try:
        with psycopg.connect(ADMIN, autocommit=True) as conn:
            conn.execute(
                "UPDATE core_tenant SET entra_tenant_id = %s WHERE slug = 'bench-main'", (tid,)
            )
        token_file = HERE / ".data" / "token-bearer"
        token_file.write_text(provider.token(tid, reader))
        env = dict(os.environ, REGIE_ENTRA_AUTHORITY=provider.authority)
        cmd = [sys.executable, str(HERE / "run_foundation.py"), "--token-file", str(token_file)]
        return subprocess.run([*cmd, *argv], env=env, check=False).returncode
    finally:
        provider.stop()


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
