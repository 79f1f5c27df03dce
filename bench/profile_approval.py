"""Where the API's CPU goes in an approval round trip: cProfile in process.

    .venv/bin/python bench/profile_approval.py --db changes_bench [--cpu-only]

On the dataset of bench/changes_dataset.py, as changes_bench.py's approval case asks it
(GET /api/v1/changes/{id} for the ETag, then POST .../votes with If-Match, signed in with a
bearer token of the test suite's OpenID provider), but through the whole app as an ASGI
application in this process, one round trip after another, with the app's threadpool work
run in the calling thread (as bench/profile_tickets.py does for the ticket path). Prints the
CPU per round trip, the time the garbage collector took, and the functions with the most own
and cumulative time. Each round trip approves one of the dataset's votable changes.

`--instructions` counts the instructions per round trip instead (bench/callgrind.py).
Reset the votes between runs (`changes_dataset.py --reset-votes`) to vote on the same
changes each time.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import json
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

import callgrind  # bench/, the script's own directory

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BODY = {"decision": "approve", "reason": "Risico aanvaardbaar, terugval getest."}


def collector_clock() -> list[float]:
    """Seconds the garbage collector ran, summed into the list's one element."""
    spent, began = [0.0], [0.0]

    def timed(phase: str, _info: dict) -> None:
        if phase == "start":
            began[0] = time.process_time()
        else:
            spent[0] += time.process_time() - began[0]

    gc.callbacks.append(timed)
    return spent


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    p.add_argument("--db", default="changes_bench")
    p.add_argument("--round-trips", type=int, default=100)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--top", type=int, default=30)
    p.add_argument("--cpu-only", action="store_true", help="no profiler: CPU per round trip only")
    p.add_argument("--dump", type=Path, help="also write the profile here, for pstats")
    p.add_argument(
        "--instructions", action="store_true", help="instructions per round trip (callgrind)"
    )
    args = p.parse_args()
    if args.instructions and not callgrind.under_callgrind():
        argv = ["--cpu-only", *(a for a in sys.argv[1:] if a != "--instructions")]
        total = callgrind.rerun_counted(__file__, argv)["approval"]
        per = total / args.round_trips / 1e6
        print(f"===== GET + vote: {per:.3f} M instructions per round trip ({args.round_trips})")
        return 0
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(HERE))
    import psycopg
    from changes_bench import provision
    from profile_tickets import caller, in_one_thread

    from tests.regie.test_up import free_port
    from tests.support.oidc_provider import OidcProvider

    in_one_thread(args.db)  # after the test support, which points the settings elsewhere
    data = json.loads((HERE / ".data" / "changes.json").read_text())
    need = args.warmup + args.round_trips
    mine, data["votable"] = data["votable"][:need], data["votable"][need:]
    if len(mine) < need:
        raise SystemExit(f"{len(mine)} votable changes left, {need} needed: rebuild the dataset")
    provider = OidcProvider(Path(tempfile.mkdtemp()), free_port())
    tid = provider.directory()
    person = provider.principal(tid, roles=["change-manager"], scp="access", idtyp="user")
    provider.start()
    try:
        admin_db = args.admin_url.rsplit("/", 1)[0] + f"/{args.db}"
        with psycopg.connect(admin_db, autocommit=True) as conn:
            conn.execute(
                "UPDATE core_tenant SET entra_tenant_id = %s WHERE id = %s",
                (tid, data["tenants"][0]["id"]),
            )
            provision(conn, data["tenants"][0]["id"], tid, [provider.oid(tid, person)])
        os.environ["REGIE_ENTRA_AUTHORITY"] = provider.authority
        from regie.app import create_app

        call = caller(create_app(), provider.token(tid, person))
        headers_of = _etag_reader(call)
        loop = asyncio.new_event_loop()

        def round_trip(change_id: str) -> int:
            path = f"/api/v1/changes/{change_id}"
            etag = loop.run_until_complete(headers_of(path))
            return loop.run_until_complete(call("POST", f"{path}/votes", BODY, etag))

        for change_id in mine[: args.warmup]:
            round_trip(change_id)
        gc_spent = collector_clock()
        prof = cProfile.Profile(time.process_time)
        cpu0 = time.process_time()
        if not args.cpu_only:
            prof.enable()
        with callgrind.counted("approval"):
            codes = [round_trip(c) for c in mine[args.warmup :]]
        prof.disable()
        cpu = (time.process_time() - cpu0) / args.round_trips * 1000
        (HERE / ".data" / "changes.json").write_text(json.dumps(data, indent=2))
        print(
            f"===== GET + vote: {cpu:.2f} ms CPU per round trip "
            f"(collector {gc_spent[0] / args.round_trips * 1000:.2f} ms; "
            f"profiler {'off' if args.cpu_only else 'on'}), status {sorted(set(codes))}, "
            f"load average {os.getloadavg()[0]:.2f}"
        )
        if args.dump and not args.cpu_only:
            prof.dump_stats(args.dump)
        if not args.cpu_only:
            for key in ("tottime", "cumulative"):
                out = io.StringIO()
                pstats.Stats(prof, stream=out).sort_stats(key).print_stats(args.top)
                print("\n".join(out.getvalue().splitlines()[6:]))
    finally:
        provider.stop()
    return 0


def _etag_reader(call):  # type: ignore[no-untyped-def]
    """A GET through `call` that answers the response's ETag."""

    async def etag_of(path: str) -> str:
        status, headers = await call("GET", path, None, None, with_headers=True)
        if status != 200:
            raise SystemExit(f"GET {path} answered {status}")
        return headers.get("etag", "")

    return etag_of


if __name__ == "__main__":
    sys.exit(main())
