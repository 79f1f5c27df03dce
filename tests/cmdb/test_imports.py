"""Importing CIs from CSV and JSON files: a dry run, reconciliation by natural key, the
report of every row, the worker's progress, nothing written when it fails, and isolation."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from sqlmodel import col, func, select

from cmdb import permissions as p
from cmdb.imports import run as runner
from cmdb.imports.models import CiImport
from cmdb.imports.run import run
from cmdb.models import Ci, CiVersion
from core.db import unit_of_work
from tests.audit.helpers import records
from tests.cmdb.helpers import APPLICATION, SERVER, Cmdb
from tests.factories import auth, make_token
from tests.fixtures import Processes, wait_for

URL = "/api/v1/ci-imports"

SERVERS_CSV = (
    "name,naturalKey,hostname,cpuCount,environment\n"
    "Web 1,web1,web1.example.nl,4,production\n"
    "Web 2,web2,web2.example.nl,2,test\n"
)


def importer(cmdb: Cmdb) -> str:
    return make_token(cmdb.tenant, [p.READ, p.WRITE, p.IMPORT])


def ask(cmdb: Cmdb, token: str, content: str, fmt: str = "csv", **extra: Any) -> Any:
    body = {"classId": SERVER, "format": fmt, "content": content, **extra}
    return cmdb.client.post(URL, headers=auth(token), json=body)


def run_import(cmdb: Cmdb, token: str, content: str, fmt: str = "csv", **extra: Any) -> Any:
    """Ask for the import, run it as the worker would, and return its final state."""
    r = ask(cmdb, token, content, fmt, **extra)
    assert r.status_code == 202, r.text
    run(cmdb.tenant.id, uuid.UUID(r.json()["id"]))
    return cmdb.client.get(f"{URL}/{r.json()['id']}", headers=auth(token)).json()


def stored_cis(cmdb: Cmdb) -> dict[str, Ci]:
    with unit_of_work(cmdb.tenant.id, read_only=True) as session:
        return {ci.natural_key: ci for ci in session.exec(select(Ci))}


def test_a_real_worker_runs_a_dry_run_then_the_import_with_progress(
    cmdb: Cmdb, processes: Processes
) -> None:
    token = importer(cmdb)
    rows = "".join(f"Host {i},host{i},host{i}.example.nl,{1 + i % 8},test\n" for i in range(2500))
    content = "name,naturalKey,hostname,cpuCount,environment\n" + rows
    key = {"Idempotency-Key": f"import-{uuid.uuid4()}"}
    body = {"classId": SERVER, "format": "csv", "content": content, "dryRun": True}
    dry = cmdb.client.post(URL, headers=auth(token, **key), json=body)
    assert dry.status_code == 202, dry.text
    assert dry.headers["location"] == f"{URL}/{dry.json()['id']}"
    assert dry.json()["state"] == "queued" and dry.json()["report"] is None
    replay = cmdb.client.post(URL, headers=auth(token, **key), json=body)
    assert replay.status_code == 202 and replay.json()["id"] == dry.json()["id"]
    real = ask(cmdb, token, content)
    assert real.status_code == 202

    processes.worker()

    def finished(job_id: str) -> bool:
        now = cmdb.client.get(f"{URL}/{job_id}", headers=auth(token)).json()
        return bool(now["state"] in ("done", "failed"))

    wait_for(lambda: finished(dry.json()["id"]), timeout=90, what="the dry run")
    wait_for(lambda: finished(real.json()["id"]), timeout=90, what="the import")
    # Each progress step is its own committed write, so the audit trail shows them all.
    steps = [
        e["changes"]["progress"]["after"]
        for e in records(cmdb.tenant.id, "cmdb_ci_import")
        if e["entity"]["id"] == real.json()["id"] and "progress" in e.get("changes", {})
    ]
    assert steps == sorted(steps) and steps[-1] == 100, steps
    assert len([s for s in steps if 0 < s < 100]) >= 3, steps
    dry_done = cmdb.client.get(f"{URL}/{dry.json()['id']}", headers=auth(token)).json()
    assert dry_done["state"] == "done" and dry_done["report"]["created"] == 2500
    real_done = cmdb.client.get(f"{URL}/{real.json()['id']}", headers=auth(token)).json()
    assert real_done["state"] == "done", real_done["error"]
    assert real_done["report"]["created"] == 2500 and real_done["report"]["rejected"] == 0
    assert len(stored_cis(cmdb)) == 2500


def test_a_dry_run_reports_without_writing_and_the_import_then_does_the_same(cmdb) -> None:
    token = importer(cmdb)
    dry = run_import(cmdb, token, SERVERS_CSV, dryRun=True)
    assert dry["state"] == "done" and dry["progress"] == 100 and dry["dryRun"] is True
    report = dry["report"]
    assert (report["rows"], report["created"], report["updated"]) == (2, 2, 0)
    assert [i["outcome"] for i in report["items"]] == ["created", "created"]
    assert all(i["ciId"] is None for i in report["items"])
    assert stored_cis(cmdb) == {}

    done = run_import(cmdb, token, SERVERS_CSV)
    assert done["report"]["created"] == 2
    cis = stored_cis(cmdb)
    assert cis["web1"].attributes == {
        "hostname": "web1.example.nl",
        "cpuCount": 4,
        "environment": "production",
    }
    assert {i["ciId"] for i in done["report"]["items"]} == {str(c.id) for c in cis.values()}
    shown = cmdb.get(f"/api/v1/cis/{cis['web2'].id}/history", cmdb.reader).json()["items"]
    assert shown[0]["version"] == 1 and shown[0]["actor"] == done["requestedBy"]


def test_a_second_import_updates_leaves_unchanged_and_rejects_with_reasons(cmdb) -> None:
    token = importer(cmdb)
    run_import(cmdb, token, SERVERS_CSV)
    before = stored_cis(cmdb)
    again = (
        "name,naturalKey,hostname,cpuCount,environment\n"
        "Web 1,web1,web1.example.nl,4,production\n"  # as stored
        "Web 2,web2,web2.example.nl,8,\n"  # more processors, environment removed
        "Web 3,web3,bad host!,many,staging\n"  # three bad attributes
        ",web4,web4.example.nl,1,test\n"  # no name
        "Web 5,web2,web5.example.nl,1,test\n"  # a natural key used above
        "Web 6,,web6.example.nl,1,test\n"  # no natural key: the name is the key
    )
    report = run_import(cmdb, token, again)["report"]
    assert {k: report[k] for k in ("created", "updated", "unchanged", "rejected")} == {
        "created": 1,
        "updated": 1,
        "unchanged": 1,
        "rejected": 3,
    }
    by_row = {i["row"]: i for i in report["items"]}
    assert by_row[1]["outcome"] == "unchanged" and by_row[1]["ciId"] == str(before["web1"].id)
    assert by_row[2]["outcome"] == "updated"
    assert sorted(x["name"] for x in by_row[3]["problems"]) == [
        "attributes.cpuCount",
        "attributes.environment",
        "attributes.hostname",
    ]
    assert [x["name"] for x in by_row[4]["problems"]] == ["name"]
    assert by_row[5]["problems"] == [{"name": "naturalKey", "reason": "also in row 2"}]
    assert by_row[6]["outcome"] == "created" and by_row[6]["naturalKey"] == "Web 6"
    after = stored_cis(cmdb)
    assert after["web2"].attributes == {"hostname": "web2.example.nl", "cpuCount": 8}
    assert after["web2"].version == before["web2"].version + 1
    assert after["web1"].version == before["web1"].version
    assert "web3" not in after and "Web 6" in after
    only = cmdb.client.get(
        f"{URL}/{report_id(cmdb)}", headers=auth(token), params={"outcome": "rejected"}
    ).json()["report"]["items"]
    assert [i["row"] for i in only] == [3, 4, 5]


def report_id(cmdb: Cmdb) -> str:
    with unit_of_work(cmdb.tenant.id, read_only=True) as session:
        latest = session.exec(select(CiImport).order_by(col(CiImport.created_at).desc())).first()
        assert latest is not None
        return str(latest.id)


def test_a_dutch_spreadsheet_file_with_semicolons_imports_too(cmdb) -> None:
    token = importer(cmdb)
    content = (
        "\ufeffname;naturalKey;hostname;cpuCount\r\n"
        "Web 1;web1;web1.example.nl;4\r\n"
        "Web 2;web2;web2.example.nl;2,5\r\n"  # a decimal comma
    )
    done = run_import(cmdb, token, content)
    assert done["report"]["created"] == 2, done
    cis = stored_cis(cmdb)
    assert cis["web1"].attributes == {"hostname": "web1.example.nl", "cpuCount": 4}
    assert cis["web2"].attributes["cpuCount"] == 2.5


def test_a_json_file_imports_with_the_same_checks(cmdb) -> None:
    token = importer(cmdb)
    items = [
        {"name": "Mail", "naturalKey": "mail", "owner": "Team A", "attributes": {"version": "2"}},
        {"name": "Mail", "naturalKey": "mail2", "attributes": {"colour": "red"}},
        "not a CI",
        {"name": "Docs", "status": "sunset"},
    ]
    content = json.dumps({"items": items})
    done = run_import(cmdb, token, content, "json", classId=APPLICATION)
    by_row = {i["row"]: i for i in done["report"]["items"]}
    assert by_row[1]["outcome"] == "created"
    assert by_row[2]["problems"] == [
        {"name": "attributes.colour", "reason": "not an attribute of this class"}
    ]
    assert by_row[3]["problems"][0]["reason"] == "must be an object"
    assert [x["name"] for x in by_row[4]["problems"]] == ["status"]
    mail = stored_cis(cmdb)["mail"]
    assert (mail.owner, mail.attributes) == ("Team A", {"version": "2"})
    # A later file that leaves the owner out keeps it; a null removes an attribute.
    later = json.dumps([{"name": "Mail", "naturalKey": "mail", "attributes": {"version": None}}])
    assert run_import(cmdb, token, later, "json", classId=APPLICATION)["report"]["updated"] == 1
    mail = stored_cis(cmdb)["mail"]
    assert (mail.owner, mail.attributes) == ("Team A", {})


def test_a_failure_while_writing_leaves_no_ci_of_the_file(cmdb, monkeypatch) -> None:
    token = importer(cmdb)
    run_import(cmdb, token, SERVERS_CSV)
    before = {k: (c.version, c.attributes) for k, c in stored_cis(cmdb).items()}
    rows = "".join(f"Host {i},host{i},host{i}.example.nl,2,test\n" for i in range(7))
    changed = "Web 1,web1,web1.example.nl,16,production\n"
    content = "name,naturalKey,hostname,cpuCount,environment\n" + changed + rows
    calls = {"n": 0}
    real_row = runner.version_row

    def failing(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 6:  # in the third chunk, after two were flushed
            raise RuntimeError("disk full")
        return real_row(*args, **kwargs)

    monkeypatch.setattr(runner, "WRITE_CHUNK", 2)
    monkeypatch.setattr(runner, "version_row", failing)
    failed = run_import(cmdb, token, content)
    assert failed["state"] == "failed" and failed["report"] is None
    assert "nothing was written" in failed["error"]
    after = stored_cis(cmdb)
    assert {k: (c.version, c.attributes) for k, c in after.items()} == before
    with unit_of_work(cmdb.tenant.id, read_only=True) as session:
        assert session.exec(select(func.count()).select_from(CiVersion)).one() == 2


def test_a_ci_changed_after_its_row_was_checked_fails_the_whole_import(cmdb, monkeypatch) -> None:
    token = importer(cmdb)
    run_import(cmdb, token, SERVERS_CSV)
    web1 = cmdb.get("/api/v1/cis", cmdb.reader, q="Web 1").json()["items"][0]
    real_check = runner._check

    def check_then_someone_edits(*args: Any) -> Any:
        planned = real_check(*args)
        assert cmdb.patch(web1, {"owner": "Someone"}).status_code == 200
        return planned

    monkeypatch.setattr(runner, "_check", check_then_someone_edits)
    content = SERVERS_CSV.replace(",4,", ",6,") + "Web 9,web9,web9.example.nl,1,test\n"
    failed = run_import(cmdb, token, content)
    assert failed["state"] == "failed" and "changed while the import ran" in failed["error"]
    assert "web9" not in stored_cis(cmdb)


def test_an_imported_ci_is_audited_as_written_by_the_requester(cmdb) -> None:
    token = importer(cmdb)
    done = run_import(cmdb, token, SERVERS_CSV)
    created = [e for e in records(cmdb.tenant.id, "cmdb_ci") if e["action"] == "create"]
    assert {e["entity"]["id"] for e in created} == {i["ciId"] for i in done["report"]["items"]}
    [kind, actor_id] = done["requestedBy"].split(":")
    assert all(e["actor"] == {"kind": kind, "id": actor_id} for e in created)
    [job] = [e for e in records(cmdb.tenant.id, "cmdb_ci_import") if e["action"] == "create"]
    assert "web1.example.nl" not in json.dumps(job)


def test_bad_files_are_refused_before_any_work(cmdb) -> None:
    token = importer(cmdb)
    cases = [
        ("csv", "naturalKey,hostname\nx,y\n", "content"),
        ("csv", "name,colour\nx,red\n", "content"),
        ("json", "{not json", "content"),
        ("json", '{"rows": []}', "content"),
    ]
    for fmt, content, field in cases:
        r = ask(cmdb, token, content, fmt)
        assert r.status_code == 400, (content, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        assert [x["name"] for x in r.json()["invalidParams"]] == [field]
    r = cmdb.client.post(URL, headers=auth(token), json={"format": "xml", "content": ""})
    assert r.status_code == 400
    assert sorted(x["name"] for x in r.json()["invalidParams"]) == ["classId", "content", "format"]


def test_a_file_over_the_limit_is_answered_413(cmdb) -> None:
    token = importer(cmdb)
    big = "name\n" + "x" * (20 * 1024 * 1024)
    r = ask(cmdb, token, big)
    assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"


def test_another_tenant_sees_no_import_and_cannot_use_its_class_or_cis(cmdb, theirs) -> None:
    token = importer(cmdb)
    job = ask(cmdb, token, SERVERS_CSV).json()
    other = importer(theirs)
    r = theirs.client.get(f"{URL}/{job['id']}", headers=auth(other))
    unknown = str(uuid.uuid4())
    none = theirs.client.get(f"{URL}/{unknown}", headers=auth(other))
    assert r.status_code == none.status_code == 404
    assert r.json()["detail"] == none.json()["detail"].replace(unknown, job["id"])
    own_class = {"key": "rack", "name": "Rack", "attributes": []}
    made = theirs.client.post(
        "/api/v1/ci-classes", headers=auth(theirs.configurer), json=own_class
    ).json()
    r = ask(cmdb, token, "name\nx\n", classId=made["id"])
    assert [x["name"] for x in r.json()["invalidParams"]] == ["classId"]
    # A reference attribute naming the other tenant's CI is rejected like an unknown one.
    their_server = theirs.ci("Their server", SERVER)
    refs = {
        "key": "link",
        "name": "Link",
        "attributes": [{"key": "peer", "label": "Peer", "type": "reference"}],
    }
    link = cmdb.client.post("/api/v1/ci-classes", headers=auth(cmdb.configurer), json=refs).json()
    content = f"name,peer\nL1,{their_server['id']}\n"
    report = run_import(cmdb, token, content, classId=link["id"])["report"]
    assert report["rejected"] == 1
    assert report["items"][0]["problems"][0]["name"] == "attributes.peer"


@pytest.mark.parametrize("permissions", [[p.READ, p.WRITE], [p.READ, p.CONFIGURE]])
def test_importing_needs_the_import_permission(cmdb, permissions) -> None:
    token = make_token(cmdb.tenant, permissions)
    assert ask(cmdb, token, SERVERS_CSV).status_code == 403
    job = ask(cmdb, importer(cmdb), SERVERS_CSV).json()
    assert cmdb.client.get(f"{URL}/{job['id']}", headers=auth(token)).status_code == 403


def test_a_done_import_is_not_run_again(cmdb) -> None:
    token = importer(cmdb)
    done = run_import(cmdb, token, SERVERS_CSV)
    assert run(cmdb.tenant.id, uuid.UUID(done["id"])) == "skipped"
    assert len(stored_cis(cmdb)) == 2


@pytest.mark.postgres
def test_raw_sql_sees_only_the_tenants_own_imports(cmdb, theirs) -> None:
    from sqlalchemy import text

    ask(cmdb, importer(cmdb), SERVERS_CSV)
    ask(cmdb, importer(cmdb), SERVERS_CSV, dryRun=True)
    count = "SELECT count(*) FROM cmdb_ci_import"
    with unit_of_work(theirs.tenant.id, read_only=True) as session:
        assert session.execute(text(count)).scalar() == 0
    with unit_of_work(cmdb.tenant.id, read_only=True) as session:
        assert session.execute(text(count)).scalar() == 2
