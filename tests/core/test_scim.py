"""SCIM 2.0 provisioning as Entra ID does it, and its effect on access."""

from __future__ import annotations

import uuid

import pytest

from tests.factories import auth, make_tenant, make_token

SCIM = "/scim/v2"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SERVICES = "/api/v1/services"
OK = (200,)  # PATCH answers 200 with the resource, as RFC 7644 section 3.5.2 prefers


def scim_token(client, tenant) -> str:
    manager = make_token(tenant, ["identity.scim:manage"])
    r = client.post("/api/v1/scim-tokens", headers=auth(manager), json={"name": "entra"})
    assert r.status_code == 201, r.text
    return str(r.json()["token"])


def new_user(client, token, oid=None, name=None) -> dict:
    body = {
        "schemas": [USER],
        "userName": name or f"u{uuid.uuid4().hex[:8]}@client.example",
        "externalId": str(oid or uuid.uuid4()),
        "active": True,
        "displayName": "Test User",
    }
    r = client.post(f"{SCIM}/Users", headers=auth(token), json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def new_group(client, token, oid, members=()) -> dict:
    body = {
        "schemas": [GROUP],
        "displayName": "Regie reporters",
        "externalId": str(oid),
        "members": [{"value": m} for m in members],
    }
    r = client.post(f"{SCIM}/Groups", headers=auth(token), json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def patch(client, token, path, *operations) -> int:
    body = {"schemas": [PATCH], "Operations": list(operations)}
    return int(client.patch(f"{SCIM}/{path}", headers=auth(token), json=body).status_code)


def test_users_are_created_found_replaced_patched_and_deleted(client) -> None:
    token = scim_token(client, make_tenant())
    user = new_user(client, token, name="Jan@Client.Example")
    assert user["active"] is True and user["meta"]["resourceType"] == "User"
    found = client.get(
        f"{SCIM}/Users", headers=auth(token), params={"filter": 'userName eq "jan@client.example"'}
    ).json()
    assert found["totalResults"] == 1 and found["Resources"][0]["id"] == user["id"]
    taken = {"schemas": [USER], "userName": "jan@client.example"}
    r = client.post(f"{SCIM}/Users", headers=auth(token), json=taken)
    assert r.status_code == 409 and r.json()["scimType"] == "uniqueness"
    replaced = {**user, "displayName": "Jan Jansen"}
    r = client.put(f"{SCIM}/Users/{user['id']}", headers=auth(token), json=replaced)
    assert r.status_code == 200 and r.json()["displayName"] == "Jan Jansen"
    off = {"op": "Replace", "path": "active", "value": "False"}  # as Entra sends it
    assert patch(client, token, f"Users/{user['id']}", off) in OK
    assert client.get(f"{SCIM}/Users/{user['id']}", headers=auth(token)).json()["active"] is False
    assert client.delete(f"{SCIM}/Users/{user['id']}", headers=auth(token)).status_code == 204
    assert client.get(f"{SCIM}/Users/{user['id']}", headers=auth(token)).status_code == 404


def test_groups_keep_their_members_as_entra_patches_them(client) -> None:
    token = scim_token(client, make_tenant())
    a, b = new_user(client, token), new_user(client, token)
    group = new_group(client, token, uuid.uuid4(), [a["id"]])
    path = f"Groups/{group['id']}"
    add = {"op": "Add", "path": "members", "value": [{"value": b["id"]}]}
    assert patch(client, token, path, add) in OK
    members = client.get(f"{SCIM}/{path}", headers=auth(token)).json()["members"]
    assert {m["value"] for m in members} == {a["id"], b["id"]}
    remove = {"op": "Remove", "path": f'members[value eq "{a["id"]}"]'}
    assert patch(client, token, path, remove) in OK
    members = client.get(f"{SCIM}/{path}", headers=auth(token)).json()["members"]
    assert [m["value"] for m in members] == [b["id"]]
    rename = {"op": "Replace", "path": "displayName", "value": "Key users"}
    assert patch(client, token, path, rename) in OK
    assert client.delete(f"{SCIM}/{path}", headers=auth(token)).status_code == 204
    assert client.get(f"{SCIM}/{path}", headers=auth(token)).status_code == 404


def test_entra_removes_a_member_by_value_and_gets_the_group_back(client) -> None:
    token = scim_token(client, make_tenant())
    a, b = new_user(client, token), new_user(client, token)
    group = new_group(client, token, uuid.uuid4(), [a["id"], b["id"]])
    remove = {"op": "Remove", "path": "members", "value": [{"value": a["id"]}]}
    body = {"schemas": [PATCH], "Operations": [remove]}
    r = client.patch(f"{SCIM}/Groups/{group['id']}", headers=auth(token), json=body)
    assert r.status_code == 200, r.text
    assert r.json()["id"] == group["id"] and [m["value"] for m in r.json()["members"]] == [b["id"]]
    stored = client.get(f"{SCIM}/Groups/{group['id']}", headers=auth(token)).json()
    assert [m["value"] for m in stored["members"]] == [b["id"]]


def test_a_group_grant_gives_access_until_the_member_is_removed_or_deactivated(
    client, idp, world
) -> None:
    tenant = world[0]
    token = scim_token(client, tenant)
    group_oid = uuid.uuid4()
    admin = auth(idp.token(idp.client_dir, idp.admin))
    grant = {
        "subjectKind": "group",
        "subjectTid": str(idp.client_dir),
        "subjectOid": str(group_oid),
        "role": "reporter",
    }
    assert client.post("/api/v1/grants", headers=admin, json=grant).status_code == 201
    person = auth(idp.token(idp.client_dir, idp.plain))
    assert client.get(SERVICES, headers=person).status_code == 403
    user = new_user(client, token, oid=idp.oid(idp.client_dir, idp.plain))
    group = new_group(client, token, group_oid, [user["id"]])
    assert client.get(SERVICES, headers=person).status_code == 200
    remove = {"op": "Remove", "path": f'members[value eq "{user["id"]}"]'}
    assert patch(client, token, f"Groups/{group['id']}", remove) in OK
    assert client.get(SERVICES, headers=person).status_code == 403
    add = {"op": "Add", "path": "members", "value": [{"value": user["id"]}]}
    assert patch(client, token, f"Groups/{group['id']}", add) in OK
    assert client.get(SERVICES, headers=person).status_code == 200
    off = {"op": "Replace", "path": "active", "value": False}
    assert patch(client, token, f"Users/{user['id']}", off) in OK
    assert client.get(SERVICES, headers=person).status_code == 403


def test_a_deactivated_user_loses_app_roles_and_direct_grants(client, idp, world) -> None:
    token = scim_token(client, world[0])
    admin = auth(idp.token(idp.client_dir, idp.admin))
    assert client.get(SERVICES, headers=admin).status_code == 200
    user = new_user(client, token, oid=idp.oid(idp.client_dir, idp.admin))
    off = {"op": "Replace", "path": "active", "value": False}
    assert patch(client, token, f"Users/{user['id']}", off) in OK
    assert client.get(SERVICES, headers=admin).status_code == 403


def test_another_tenants_scim_token_sees_and_changes_nothing(client) -> None:
    mine, theirs = scim_token(client, make_tenant()), scim_token(client, make_tenant())
    user = new_user(client, mine)
    group = new_group(client, mine, uuid.uuid4(), [user["id"]])
    for path in (f"Users/{user['id']}", f"Groups/{group['id']}"):
        assert client.get(f"{SCIM}/{path}", headers=auth(theirs)).status_code == 404
        assert client.delete(f"{SCIM}/{path}", headers=auth(theirs)).status_code == 404
    off = {"op": "Replace", "path": "active", "value": False}
    assert patch(client, theirs, f"Users/{user['id']}", off) == 404
    assert client.get(f"{SCIM}/Users", headers=auth(theirs)).json()["totalResults"] == 0
    listed = client.get(f"{SCIM}/Users", headers=auth(mine)).json()
    assert listed["totalResults"] == 1 and listed["Resources"][0]["active"] is True


@pytest.mark.parametrize("header", [None, "Bearer rgs_x_y_z", "Bearer nonsense", "Basic eDp5"])
def test_missing_or_wrong_scim_token_is_a_scim_401(client, header) -> None:
    headers = {"Authorization": header} if header else {}
    r = client.get(f"{SCIM}/Users", headers=headers)
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/scim+json")
    assert r.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]


def test_scim_tokens_are_listed_revoked_and_kept_per_tenant(client) -> None:
    tenant = make_tenant()
    token = scim_token(client, tenant)
    manager = auth(make_token(tenant, ["identity.scim:manage"]))
    listed = client.get("/api/v1/scim-tokens", headers=manager).json()["items"]
    assert len(listed) == 1 and "token" not in listed[0] and listed[0]["lastUsedAt"] is None
    stranger = auth(make_token(make_tenant(), ["identity.scim:manage"]))
    assert client.get("/api/v1/scim-tokens", headers=stranger).json()["items"] == []
    path = f"/api/v1/scim-tokens/{listed[0]['id']}"
    assert client.delete(path, headers=stranger).status_code == 404
    assert client.get(f"{SCIM}/Users", headers=auth(token)).status_code == 200
    assert client.delete(path, headers=manager).status_code == 200
    assert client.get(f"{SCIM}/Users", headers=auth(token)).status_code == 401


def test_service_provider_config_declares_what_is_implemented(client) -> None:
    config = client.get(f"{SCIM}/ServiceProviderConfig").json()
    assert config["patch"]["supported"] and config["filter"]["supported"]
    assert not config["bulk"]["supported"] and not config["changePassword"]["supported"]
    assert not config["etag"]["supported"]
