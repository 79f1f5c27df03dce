"""One tenant's CMDB as an API caller: tokens per permission and shortcuts."""

from __future__ import annotations

from typing import Any

from cmdb import builtin
from cmdb import permissions as p
from core.tenancy import Tenant
from tests.factories import auth, make_token


def builtin_id(key: str) -> str:
    return str(next(b.id for b in builtin.BUILTINS if b.key == key))


SERVER, APPLICATION, DATABASE = (
    builtin_id("server"),
    builtin_id("application"),
    builtin_id("database"),
)


class Cmdb:
    """A reader, a writer and a configurer of one tenant."""

    def __init__(self, client: Any, tenant: Tenant) -> None:
        self.client, self.tenant = client, tenant
        self.reader = make_token(tenant, [p.READ])
        self.writer = make_token(tenant, [p.READ, p.WRITE])
        self.configurer = make_token(tenant, [p.READ, p.CONFIGURE])

    def ci(self, name: str, class_id: str = APPLICATION, **extra: Any) -> dict[str, Any]:
        body = {"classId": class_id, "name": name, "naturalKey": name.lower(), **extra}
        r = self.client.post("/api/v1/cis", headers=auth(self.writer), json=body)
        assert r.status_code == 201, r.text
        return r.json()

    def relate(self, source: dict[str, Any], type_: str, target: dict[str, Any]) -> Any:
        body = {"sourceId": source["id"], "targetId": target["id"], "type": type_}
        return self.client.post("/api/v1/ci-relations", headers=auth(self.writer), json=body)

    def get(self, path: str, token: str | None = None, **params: Any) -> Any:
        return self.client.get(path, headers=auth(token or self.reader), params=params)

    def patch(self, ci: dict[str, Any], body: dict[str, Any], version: int | None = None) -> Any:
        tag = f'"{ci["version"] if version is None else version}"'
        return self.client.patch(
            f"/api/v1/cis/{ci['id']}", headers=auth(self.writer, **{"If-Match": tag}), json=body
        )


def names(r: Any) -> list[str]:
    """The invalid fields a 400 names."""
    assert r.status_code == 400, r.text
    return sorted(p["name"] for p in r.json()["invalidParams"])
