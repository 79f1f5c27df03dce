"""The `regie` command: run, migrate and administer an installation."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from core.settings import Settings, fail_config, get_settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

T = TypeVar("T")
app = typer.Typer(
    help="Regie: multi-tenant ITSM. Settings come from REGIE_* variables.",
    no_args_is_help=True,
    add_completion=False,
)
tenant_app = typer.Typer(
    help="Create, list, export, import and delete tenants (clients).", no_args_is_help=True
)
apikey_app = typer.Typer(help="Issue API keys for integrations.", no_args_is_help=True)
app.add_typer(tenant_app, name="tenant")
app.add_typer(apikey_app, name="apikey")
audit_app = typer.Typer(help="Verify, checkpoint and prune the audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
sla_app = typer.Typer(help="Keep the SLA clocks.", no_args_is_help=True)
app.add_typer(sla_app, name="sla")
citus_app = typer.Typer(help="Prepare the scale-out with Citus.", no_args_is_help=True)
app.add_typer(citus_app, name="citus")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default REGIE_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default REGIE_PORT)")] = None,
    workers: Annotated[int, typer.Option(help="API worker processes")] = 1,
    pin_workers: Annotated[
        bool,
        typer.Option(
            help="Each worker on a core of its own (a machine or cpuset given to this server)"
        ),
    ] = False,
) -> None:
    """Serve the API and the web UI with uvicorn."""
    import uvicorn

    from regie.cores import PIN_WORKERS

    if pin_workers:
        os.environ[PIN_WORKERS] = str(os.getpid())  # the workers inherit it

    # The workers import the app, which configures Celery itself: with several of them this
    # process only supervises, and needs neither Celery nor the audit capture (see main).
    settings = _checked_settings(jobs=False)
    options: dict[str, Any] = {
        "host": host or settings.host,
        "port": port or settings.port,
        "workers": workers,
        "log_config": None,
        "proxy_headers": True,
        "server_header": False,
    }
    if workers == 1:
        uvicorn.run("regie.asgi:app", **options)
        return
    from uvicorn.supervisors import Multiprocess

    from regie.listening import OwnSocket, reserve

    config = uvicorn.Config("regie.asgi:app", **options)
    try:
        held = reserve(config.host, config.port)
    except OSError as exc:
        fail_config("REGIE_PORT", f"cannot listen on {config.host}:{config.port}: {exc}")
    with held, contextlib.suppress(KeyboardInterrupt):
        # Each worker binds a socket of its own to the port (regie.listening).
        Multiprocess(config, sockets=[OwnSocket(config.host, config.port)]).run()  # type: ignore[list-item]


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(help="Parallel tasks")] = 2,
    pool: Annotated[str, typer.Option(help="Celery pool: prefork, threads or solo")] = "prefork",
) -> None:
    """Run a Celery worker that executes background jobs and drains the outbox."""
    _checked_settings()
    from regie.worker import app as celery

    celery.worker_main(
        [
            "worker",
            "-Q",
            "regie",
            f"--concurrency={concurrency}",
            f"--pool={pool}",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
        ]
    )


@app.command()
def beat() -> None:
    """Run the scheduler (exactly one per installation)."""
    settings = _checked_settings()
    from regie.worker import app as celery

    schedule = settings.broker_folder.parent / "celerybeat-schedule"
    schedule.parent.mkdir(parents=True, exist_ok=True)
    celery.start(["beat", "-s", str(schedule), "--loglevel=INFO"])


@app.command()
def migrate(
    revision: Annotated[str, typer.Argument(help="Target revision")] = "head",
    down: Annotated[bool, typer.Option("--down", help="Downgrade to REVISION instead")] = False,
) -> None:
    """Bring the database schema to REVISION (default: the newest) as the table owner."""
    from regie import migrate as m

    settings = _checked_settings()
    (m.downgrade if down else m.upgrade)(settings, revision)
    typer.echo(f"database at {revision}")


@app.command("seed-demo")
def seed_demo() -> None:
    """Create the demo tenant with a sample catalogue, only if there is no tenant yet."""
    from regie import seed

    _checked_settings()
    created = seed.seed_demo()
    typer.echo("demo tenant created" if created else "database not empty; nothing seeded")


@tenant_app.command("create")
def tenant_create(
    slug: Annotated[str, typer.Argument(help="Short unique name, e.g. 'gemeente-utrecht'")],
    name: Annotated[str, typer.Option(help="Display name")],
    entra_tenant_id: Annotated[str | None, typer.Option(help="Entra ID tenant id")] = None,
    supplier: Annotated[
        bool, typer.Option("--supplier", help="The supplier itself (its staff's directory)")
    ] = False,
) -> None:
    """Create a tenant."""
    from regie import seed

    _checked_settings()
    try:
        tenant = seed.create_tenant(
            slug=slug, name=name, entra_tenant_id=entra_tenant_id, supplier=supplier
        )
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{tenant.id} {tenant.slug}")


@tenant_app.command("list")
def tenant_list() -> None:
    """List tenants as JSON lines."""
    from regie import seed

    _checked_settings()
    for t in seed.list_tenants():
        typer.echo(
            json.dumps({"id": str(t.id), "slug": t.slug, "name": t.name, "status": t.status})
        )


@tenant_app.command("export")
def tenant_export(
    slug: Annotated[str, typer.Argument(help="The tenant to export")],
    out: Annotated[Path, typer.Option("--out", help="Directory to write (new or empty)")],
) -> None:
    """Write every record of the tenant in open formats, with a signed manifest."""
    from regie.tenant_exit.export import ExportFailed, export_tenant

    engine = _owner_engine()
    try:
        body = export_tenant(engine, slug, out)
    except ExportFailed as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    rows = sum(body["tables"].values())
    typer.echo(f"{slug}: {rows} rows in {len(body['files'])} files written to {out}")


@tenant_app.command("import")
def tenant_import(
    directory: Annotated[Path, typer.Argument(help="An export made by `regie tenant export`")],
    public_key: Annotated[
        str | None, typer.Option(help="The exporting supplier's audit public key, if not ours")
    ] = None,
) -> None:
    """Verify the export whole, then restore the tenant in one transaction."""
    from regie.tenant_exit.importer import ExportRefused, import_tenant

    engine = _owner_engine()
    try:
        body = import_tenant(engine, directory, public_key)
    except ExportRefused as exc:
        typer.echo(f"refused, nothing written: {exc}", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    rows = sum(body["tables"].values())
    typer.echo(f"{body['tenant']['slug']}: {rows} rows imported")


@tenant_app.command("delete")
def tenant_delete(
    slug: Annotated[str, typer.Argument(help="The tenant to delete")],
    export: Annotated[Path, typer.Option("--export", help="Its current, verified export")],
    by: Annotated[str, typer.Option("--by", help="Who orders the deletion (name, role)")],
    certificate: Annotated[
        Path | None, typer.Option(help="Where to write the certificate (default: in the export)")
    ] = None,
) -> None:
    """At contract end: delete every row of the tenant; write a signed deletion certificate."""
    from regie.tenant_exit.delete import delete_tenant, remove_files, write_certificate
    from regie.tenant_exit.export import ExportFailed
    from regie.tenant_exit.manifest import ExportRefused

    engine = _owner_engine()
    try:
        cert = delete_tenant(engine, slug, export, by=by)
    except (ExportRefused, ExportFailed) as exc:
        typer.echo(f"refused, nothing deleted: {exc}", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    remove_files(cert["tenant"]["id"])
    path = certificate or export / "deletion-certificate.json"
    digest = write_certificate(path, cert)
    typer.echo(
        f"{slug}: {sum(cert['deleted'].values())} rows deleted; certificate {path} ({digest})"
    )


def _owner_engine() -> Engine:
    """Exit work runs as the table owner: it writes the audit log and lifts nothing else."""
    from core.db import make_engine

    return make_engine(_checked_settings().owner_url, pool_size=1)


@citus_app.command("sql")
def citus_sql(
    markdown: Annotated[
        bool, typer.Option("--markdown", help="The distribution of each table as a Markdown table")
    ] = False,
) -> None:
    """Print the SQL that distributes a migrated database on a Citus coordinator."""
    from regie import citus

    typer.echo(citus.tables_markdown() if markdown else citus.setup_sql(), nl=False)


@citus_app.command("check")
def citus_check() -> None:
    """Name every table, key or policy that would stop the database moving to Citus."""
    from regie import citus

    engine = _owner_engine()
    try:
        with engine.connect() as conn:
            if conn.dialect.name != "postgresql":
                fail_config("REGIE_DATABASE_OWNER_URL", "regie citus check needs PostgreSQL")
            problems = citus.check(conn)
    finally:
        engine.dispose()
    for line in problems:
        typer.echo(line)
    if problems:
        raise typer.Exit(1)
    typer.echo("ready for Citus: every table is distributed by tenant_id or classified")


@apikey_app.command("create")
def apikey_create(
    tenant: Annotated[str, typer.Option(help="Tenant slug")],
    name: Annotated[str, typer.Option(help="What the key is for")],
    permission: Annotated[list[str], typer.Option(help="Permission; repeat for more")],
    expires: Annotated[datetime | None, typer.Option(help="Expiry (ISO 8601, UTC)")] = None,
) -> None:
    """Issue an API key; the token is printed once and never stored."""
    from regie import seed

    _checked_settings()
    when = expires.replace(tzinfo=UTC) if expires and expires.tzinfo is None else expires
    try:
        token = seed.issue_api_key(
            tenant_slug=tenant, name=name, permissions=permission, expires_at=when
        )
    except (ValueError, LookupError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(token)


@audit_app.command("verify")
def audit_verify(
    tenant: Annotated[str | None, typer.Option(help="Tenant slug (default: all)")] = None,
    witness: Annotated[
        Path | None, typer.Option(help="A client's copy of its signed checkpoints (JSON lines)")
    ] = None,
) -> None:
    """Recompute chain and Merkle tree, check every checkpoint; exit 1 naming the first bad
    sequence number."""
    from audit import admin

    _checked_settings()
    failed = False
    for t, verdict in _or_exit(lambda: admin.verify(tenant, witness)):
        if verdict.ok:
            typer.echo(
                f"{t.slug}: ok ({verdict.entries} entries, {verdict.checkpoints} checkpoints)"
            )
        else:
            failed = True
            typer.echo(
                f"{t.slug}: FAILED at sequence number {verdict.first_bad_seq}: {verdict.reason}"
            )
    raise typer.Exit(1 if failed else 0)


@audit_app.command("checkpoint")
def audit_checkpoint(
    tenant: Annotated[str | None, typer.Option(help="Tenant slug (default: all)")] = None,
) -> None:
    """Sign a checkpoint now."""
    from audit import admin
    from regie import wiring

    _checked_settings()
    wiring.wire()  # its witness copies are queued for the DAP's contacts, as the worker's are
    for t, size in _or_exit(lambda: admin.checkpoint(tenant)):
        typer.echo(f"{t.slug}: " + (f"signed at size {size}" if size else "nothing new"))


@audit_app.command("retention")
def audit_retention(
    tenant: Annotated[str, typer.Option(help="Tenant slug")],
    days: Annotated[int, typer.Option(help="Keep entries this many days (at least 183)")],
) -> None:
    """Set a tenant's retention period (default 7 years)."""
    from audit import admin

    _checked_settings()
    _or_exit(lambda: admin.set_retention(tenant, days))
    typer.echo(f"{tenant}: entries kept {days} days")


@audit_app.command("prune")
def audit_prune(
    tenant: Annotated[str | None, typer.Option(help="Tenant slug (default: all)")] = None,
) -> None:
    """Delete entries past retention, up to a checkpoint the rest verifies from."""
    from audit import admin

    _checked_settings()
    for t, deleted in _or_exit(lambda: admin.prune(tenant)):
        typer.echo(f"{t.slug}: {deleted} entries pruned")


@sla_app.command("recompute")
def sla_recompute(
    tenant: Annotated[str | None, typer.Option(help="Tenant slug (default: all)")] = None,
) -> None:
    """Rebuild every stored SLA clock from ticket history; report how many changed."""
    from audit import admin
    from core.db import unit_of_work
    from tickets.recompute import recompute

    _checked_settings()
    for t in _or_exit(lambda: admin.tenants(tenant)):
        with unit_of_work(t.id) as session:
            seen, changed = recompute(session)
        typer.echo(f"{t.slug}: {seen} tickets, {changed} clocks changed")


def _or_exit(action: Callable[[], T]) -> T:
    from core.errors import AppError

    try:
        return action()
    except (LookupError, AppError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


@app.command("check-config")
def check_config() -> None:
    """Validate the configuration, check the database is reachable, print it masked."""
    settings = _checked_settings()
    for key, value in settings.masked().items():
        typer.echo(f"{key}={value}")


@app.command()
def up() -> None:
    """Everything on one machine: migrate, seed the demo, run API, worker and scheduler."""
    from regie import runner

    _checked_settings()
    sys.exit(runner.run_all())


@app.command("openapi")
def export_openapi(
    output: Annotated[Path, typer.Option(help="File to write the document to")],
) -> None:
    """Write the OpenAPI document to a file (for linting and for client generators)."""
    from regie.app import create_app

    output.write_text(json.dumps(create_app().openapi(), indent=2))


def _checked_settings(jobs: bool = True) -> Settings:
    """Settings validated, plus a reachable database; exit 2 with one line otherwise."""
    settings = get_settings()
    if settings.is_sqlite:
        os.makedirs(
            os.path.dirname(settings.database_url.removeprefix("sqlite:///")) or ".", exist_ok=True
        )
    else:
        _check_database(settings)
    # A command's writes ask for jobs after commit (audit checkpoints), as the API's do: they
    # must reach the installation's broker, not Celery's default.
    if jobs:
        from core.jobs import configure_celery

        configure_celery(settings)
    return settings


def _check_database(settings: Settings) -> None:
    from sqlalchemy import text

    from core.db import make_engine

    try:
        engine = make_engine(
            settings.database_url, pool_size=1, connect_args={"connect_timeout": 5}
        )
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        fail_config("REGIE_DATABASE_URL", f"database unreachable ({type(exc).__name__})")


def main() -> None:
    # Writes made by commands (tenants, keys, seeds) are audited like any other. `serve` writes
    # nothing in this process (the app installs the capture in each worker), and the audit
    # modules would keep about 40 MB in the supervisor of `--workers N` for as long as it runs.
    if sys.argv[1:2] != ["serve"]:
        from audit import public as audit_public
        from changes import calendar

        audit_public.install()
        calendar.install()
    app()


if __name__ == "__main__":
    main()
