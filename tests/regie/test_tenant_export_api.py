"""The client's admin exports the whole tenant through the API: a job the worker runs, its
progress, and the download; nobody else, and no other tenant, learns anything of it."""

from __future__ import annotations

import hashlib
import io
import uuid
import zipfile

from core.identity.roles import ROLE_PERMISSIONS, Role
from core.settings import get_settings
from regie.tenant_exit import job, manifest
from regie.tenant_exit.permissions import EXPORT
from tests.factories import auth, make_token

URL = "/api/v1/tenant-exports"


def test_only_the_clients_admin_exports(app) -> None:
    assert EXPORT in ROLE_PERMISSIONS[Role.client_admin]
    holders = {role for role, granted in ROLE_PERMISSIONS.items() if EXPORT in granted}
    assert holders == {Role.client_admin}


def test_the_admin_requests_follows_and_downloads(client, desk, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(get_settings(), "export_dir", tmp_path / "exports")
    desk.report()
    admin = make_token(desk.tenant, [EXPORT])
    r = client.post(URL, headers=auth(admin, **{"Idempotency-Key": "exit-1"}))
    assert r.status_code == 202, r.text
    body = r.json()
    assert r.headers["Location"] == f"{URL}/{body['id']}"
    assert body["state"] == "queued" and body["href"] is None
    again = client.post(URL, headers=auth(admin, **{"Idempotency-Key": "exit-1"}))
    assert again.status_code == 202 and again.json() == body
    early = client.get(f"{URL}/{body['id']}/file", headers=auth(admin))
    assert early.status_code == 409
    assert early.headers["content-type"] == "application/problem+json"

    assert job.run(desk.tenant.id, uuid.UUID(body["id"])) == "done"
    assert job.run(desk.tenant.id, uuid.UUID(body["id"])) == "skipped"  # delivered twice
    done = client.get(f"{URL}/{body['id']}", headers=auth(admin)).json()
    assert done["state"] == "done" and done["progress"] == 100, done
    assert done["href"] == f"{URL}/{body['id']}/file"
    file = client.get(done["href"], headers=auth(admin))
    assert file.status_code == 200 and file.headers["content-type"] == "application/zip"
    assert hashlib.sha256(file.content).hexdigest() == done["sha256"]
    assert len(file.content) == done["size"]
    with zipfile.ZipFile(io.BytesIO(file.content)) as z:
        z.extractall(tmp_path / "unzipped")
    exported = manifest.verify(tmp_path / "unzipped")
    assert exported["tenant"]["id"] == str(desk.tenant.id)
    assert exported["tables"]["tickets_ticket"] == 1


def test_another_tenant_and_other_roles_learn_nothing(
    client, desk, other, tmp_path, monkeypatch
) -> None:
    monkeypatch.setattr(get_settings(), "export_dir", tmp_path / "exports")
    admin = make_token(desk.tenant, [EXPORT])
    created = client.post(URL, headers=auth(admin)).json()
    job.run(desk.tenant.id, uuid.UUID(created["id"]))
    theirs = make_token(other.tenant, [EXPORT])
    unknown = str(uuid.uuid4())
    for path in (f"{URL}/{{}}", f"{URL}/{{}}/file"):
        r = client.get(path.format(created["id"]), headers=auth(theirs))
        none = client.get(path.format(unknown), headers=auth(theirs))
        assert r.status_code == none.status_code == 404
        assert r.json()["detail"].replace(created["id"], unknown) == none.json()["detail"]
    assert client.get(f"{URL}/{uuid.uuid4()}", headers=auth(admin)).status_code == 404
    assert client.post(URL, headers=auth(desk.agent)).status_code == 403
    assert client.get(f"{URL}/{created['id']}", headers=auth(desk.agent)).status_code == 403
