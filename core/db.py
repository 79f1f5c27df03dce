"""Engines, sessions and the tenant scoping every session applies.

Two guards keep clients apart. The session layer adds `tenant_id = :current` to every ORM
query and stamps new rows; on PostgreSQL, row-level security keyed on the per-transaction
setting `regie.tenant_id` refuses anything the session layer might miss.
"""

from __future__ import annotations

import select
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache, lru_cache
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from psycopg.errors import error_from_result
from psycopg.pq import ConnStatus, ExecStatus, TransactionStatus
from sqlalchemy import Engine, MetaData, bindparam, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Mapper, ORMExecuteState, with_loader_criteria
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, SQLModel, col

from core.cursor import Cursor
from core.errors import CrossTenantWrite
from core.settings import get_settings
from core.tenancy import TenantScoped
from core.types import utcnow

# Stable constraint names so migrations diff cleanly on both databases.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata

TENANT_SETTING = "regie.tenant_id"
# Session info key: milliseconds after which PostgreSQL cancels each statement of the session.
STATEMENT_TIMEOUT = "statement_timeout_ms"


def driver_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs given without a driver."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """One engine per database, tuned here for both dialects so every process behaves alike."""
    url = driver_url(url)
    # Statement parameters (search text, ticket contents) never reach an error message or log.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        _tune_sqlite(engine)
        return engine
    if "poolclass" not in kwargs:
        # As many connections as requests are admitted at once (core.api.admission).
        kwargs.setdefault("pool_size", get_settings().db_pool_size)
        kwargs.setdefault("max_overflow", 10)
    # No JIT: a statement estimated above jit_above_cost spent more compiling than running,
    # on every request: a headline's counts over a large tenant 130-150 ms; the supplier's
    # dashboard, counting each of 50 clients' open tickets with probes of their clocks,
    # ~17 ms per client quiet and up to ~0.8 s under load. No statement of a request pays
    # the compilation back.
    # UTC: timestamps come back from psycopg aware and in UTC, as core.types.UTCDateTime
    # hands them out, with no conversion per value.
    connect_args = {
        "options": "-c jit=off -c TimeZone=UTC",
        "cursor_factory": Cursor,
        **kwargs.pop("connect_args", {}),
    }
    engine = create_engine(url, connect_args=connect_args, **kwargs)
    event.listen(engine, "checkout", _refuse_cut_connection)
    return engine


def _refuse_cut_connection(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """A database restart cuts every pooled connection: the pool replaces such a one before
    use, so no request answers 500 and no outbox message is charged an attempt for it. A
    connection the server closed, or spoke on unasked (a restart's FATAL notice), has
    something to read on its socket, which an idle one never has: asking the socket costs no
    round trip, where a `SELECT 1` before each use (SQLAlchemy's pre-ping) cost one per
    request."""
    pgconn = dbapi_connection.pgconn
    if dbapi_connection.closed or pgconn.status != ConnStatus.OK:
        raise DisconnectionError("the pooled connection is closed")
    socket = select.poll()
    socket.register(pgconn.socket, select.POLLIN)
    if socket.poll(0):
        raise DisconnectionError("the database closed or spoke on the pooled connection")


# SQL functions that domains give the embedded database (e.g. stemming for full-text search).
SQLITE_FUNCTIONS: dict[str, tuple[int, Callable[..., Any]]] = {}


def sqlite_function(name: str, nargs: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a deterministic SQL function on every SQLite connection opened from now on."""

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        SQLITE_FUNCTIONS[name] = (nargs, fn)
        return fn

    return register


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        for name, (nargs, fn) in SQLITE_FUNCTIONS.items():
            dbapi_conn.create_function(name, nargs, fn, deterministic=True)
        # Take over transaction control so writers queue on the lock instead of failing.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=15000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers take the lock up front (a deferred reader upgrading to writer fails at once
        # instead of waiting); read-only units use DEFERRED so they never queue behind writers.
        conn.exec_driver_sql(
            f"BEGIN {conn.get_execution_options().get('sqlite_begin', 'IMMEDIATE')}"
        )


@lru_cache
def get_engine() -> Engine:
    """The process's one engine: its pool is shared by every unit of work."""
    return make_engine(get_settings().database_url)


def one_writer() -> bool:
    """Whether the database lets one transaction write at a time (SQLite), so that a request's
    write must not open its transaction before writes of its own have ended."""
    return get_engine().dialect.name == "sqlite"


def new_session(
    tenant_id: uuid.UUID | None, engine: Engine | None = None, *, read_only: bool = False
) -> Session:
    """A session that sees and writes only `tenant_id`'s rows (nothing when None)."""
    bind = engine or get_engine()
    if read_only:
        bind = _deferred(bind)
    session = Session(bind, expire_on_commit=False)
    session.info["tenant_id"] = tenant_id
    session.info["read_only"] = read_only
    return session


@lru_cache(maxsize=32)
def _deferred(engine: Engine) -> Engine:
    """`engine` beginning SQLite transactions deferred (a read takes no writer's lock), made
    once per engine: a new option engine for each read cost ~12 % of its begin and commit."""
    return engine.execution_options(sqlite_begin="DEFERRED")


@contextmanager
def unit_of_work(
    tenant_id: uuid.UUID | None, engine: Engine | None = None, *, read_only: bool = False
) -> Iterator[Session]:
    """Commit when the block ends cleanly, roll back otherwise. The only place that commits."""
    session = new_session(tenant_id, engine, read_only=read_only)
    try:
        yield session
    except BaseException:
        finish(session, ok=False)
        raise
    finish(session, ok=True)


@contextmanager
def read_only_unit(
    tenant_id: uuid.UUID, opener: Callable[[uuid.UUID], Session] | None = None
) -> Iterator[Session]:
    """A read in `tenant_id`: in the session `opener` gives, a transaction its caller goes on
    with and ends (a request's own), or else in a read-only unit of work of its own."""
    if opener is not None:
        yield opener(tenant_id)
        return
    with unit_of_work(tenant_id, read_only=True) as session:
        yield session


@contextmanager
def reading_tenants(engine: Engine | None = None) -> Iterator[Callable[[uuid.UUID], Session]]:
    """One read-only transaction for a page over many tenants: `in_tenant(id)` points the
    session at that tenant (its query scoping and, on PostgreSQL, the setting row-level
    security reads), so every statement still sees one tenant, without a transaction each.
    (Such a page is where JIT compilation hurt most: see make_engine.)"""
    with unit_of_work(None, engine, read_only=True) as session:

        def in_tenant(tenant_id: uuid.UUID) -> Session:
            session.info["tenant_id"] = tenant_id
            connection = session.connection()  # begins with the new tenant if not yet begun
            if connection.dialect.name == "postgresql":
                _send(
                    connection, "SELECT set_config(%s, %s, true)", (TENANT_SETTING, str(tenant_id))
                )
            return session

        yield in_tenant


def finish(session: Session, *, ok: bool) -> None:
    """Commit (or roll back) and close: the end of every unit of work, in one call."""
    try:
        if ok:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()


Versioned = TypeVar("Versioned", bound=TenantScoped)


def touch(session: Session, row: Versioned) -> Versioned:
    """Stamp the change time and flush, so the answer carries the new version (ETag)."""
    row.updated_at = utcnow()
    session.flush()
    return row


def session_tenant(session: OrmSession) -> uuid.UUID | None:
    """The tenant the session is scoped to, None for the supplier's cross-tenant work."""
    return session.info.get("tenant_id")


@event.listens_for(Session, "after_begin")
def _set_tenant_setting(session: Session, _transaction: Any, connection: Any) -> None:
    if connection.dialect.name == "postgresql":
        tenant = str(session_tenant(session) or "")
        timeout = session.info.get(STATEMENT_TIMEOUT)
        if _begin_with_settings(connection, tenant, timeout):
            return
        if timeout:
            _send(
                connection,
                "SELECT set_config(%s, %s, true), set_config('statement_timeout', %s, true)",
                (TENANT_SETTING, tenant, f"{timeout}ms"),
            )
        else:
            _send(connection, "SELECT set_config(%s, %s, true)", (TENANT_SETTING, tenant))


def statements_listened(connection: Any) -> bool:
    """Whether something listens to the connection's statements (a test's count, tracing):
    then a statement must go through SQLAlchemy, not straight to the driver, to be seen."""
    return bool(connection._has_events or connection.engine._has_events)


def _begin_with_settings(connection: Any, tenant: str, timeout: int | None) -> bool:
    """Begin the transaction and set its tenant (and statement timeout) in one exchange with
    PostgreSQL, where psycopg would send its BEGIN alone first: one round trip fewer for
    every unit of work. Only for a plain BEGIN, and when nothing listens to the statements."""
    if statements_listened(connection):
        return False
    driver = connection.connection.driver_connection
    plain = driver.isolation_level is None and driver.read_only is None
    if not plain or driver.deferrable is not None or driver.autocommit:
        return False
    if driver.pgconn.transaction_status != TransactionStatus.IDLE:
        return False
    # Both values are spelled by this module (a UUID's text, a whole number of milliseconds).
    value = uuid.UUID(tenant) if tenant else ""
    sql = f"BEGIN; SELECT set_config('{TENANT_SETTING}', '{value}', true)"
    if timeout:
        sql += f", set_config('statement_timeout', '{int(timeout)}ms', true)"
    result = driver.pgconn.exec_(sql.encode())
    if result.status != ExecStatus.TUPLES_OK:
        raise error_from_result(result)
    return True


def _send(connection: Any, sql: str, params: tuple[str, ...]) -> None:
    """One statement of the start of every transaction, straight to the driver's cursor:
    SQLAlchemy's execution path around it cost ~0.2 ms of CPU, a tenth of a ticket's GET.
    When something listens to the engine's statements (tracing, a test's count), through
    SQLAlchemy instead, so that it sees this one too."""
    if statements_listened(connection):
        connection.exec_driver_sql(sql, params)
        return
    with connection.connection.driver_connection.cursor() as cursor:
        cursor.execute(sql, params)


@event.listens_for(Session, "do_orm_execute")
def _scope_queries(state: ORMExecuteState) -> None:
    if state.is_select and isinstance(state.parameters, dict | None):
        state.statement = _scoped_select(state.statement, state.all_mappers)
        state.parameters = {**(state.parameters or {}), _TENANT: session_tenant(state.session)}
    elif state.is_select or state.is_update or state.is_delete:
        # An update or delete the ORM may apply to the session's objects by evaluating its
        # criteria in Python: the tenant as a value, not a parameter it cannot see.
        tenant_id = session_tenant(state.session)
        state.statement = state.statement.options(
            *(
                with_loader_criteria(cls, col(cls.tenant_id) == tenant_id, include_aliases=True)
                for cls in _tenant_classes(state.all_mappers)
            )
        )


# A select's tenant criteria name the tenant as this parameter of its execution, so a select
# built once is scoped once: SQLAlchemy computes a statement's cache key again for every new
# statement object, ~75 µs for one with its criteria.
_TENANT = "regie_scope_tenant"
_SCOPED: WeakKeyDictionary[Any, Any] = WeakKeyDictionary()


def _scoped_select(statement: Any, mappers: Sequence[Mapper[Any]]) -> Any:
    scoped = _SCOPED.get(statement)
    if scoped is None:
        scoped = statement.options(*map(_criteria, _tenant_classes(mappers)))
        _SCOPED[statement] = scoped
    return scoped


@cache
def _criteria(cls: type[TenantScoped]) -> Any:
    tenant = col(cls.tenant_id) == bindparam(_TENANT)
    return with_loader_criteria(cls, tenant, include_aliases=True)


def _tenant_classes(mappers: Sequence[Mapper[Any]]) -> list[type[TenantScoped]]:
    return [m.class_ for m in mappers if issubclass(m.class_, TenantScoped)]


@event.listens_for(Session, "before_flush")
def _stamp_tenant(session: Session, _ctx: Any, _instances: Any) -> None:
    tenant_id = session_tenant(session)
    for obj in list(session.new) + list(session.dirty):
        if not isinstance(obj, TenantScoped):
            continue
        if obj.tenant_id is None and obj in session.new and tenant_id is not None:
            obj.tenant_id = tenant_id
        if obj.tenant_id != tenant_id:
            raise CrossTenantWrite()
