"""Helpers for the improvement register tests: tokens per side, a valid proposal, shortcuts."""

from __future__ import annotations

from typing import Any

from core.tenancy import Tenant
from services.improvement import permissions as p
from services.kpi import permissions as kpi
from tests.factories import auth, make_token

URL = "/api/v1/improvements"
# The supplier's service level manager proposes and works; the client's product owner orders,
# decides and evaluates.
SUPPLIER = [p.READ, p.PROPOSE, p.WORK]
PRODUCT_OWNER = [p.READ, p.PRIORITISE, p.DECIDE, kpi.READ]
VIEWER = [p.READ]


def proposal(**overrides: Any) -> dict[str, Any]:
    body = {
        "title": "Answer password questions on line 1",
        "description": "Half of the escalations to line 2 are password resets.",
        "sourceKind": "supplier-proposal",
        "expectedBenefit": "Fewer escalations, faster answers",
        "kpi": "first-line-resolution",
        "baseline": 60.0,
        "target": 75.0,
        "effortDays": 3.5,
        "owner": "Service desk lead",
    }
    return {**body, **overrides}


class Register:
    """One tenant's supplier and product owner as API callers of the register."""

    def __init__(self, client: Any, tenant: Tenant) -> None:
        self.client, self.tenant = client, tenant
        self.supplier = make_token(tenant, SUPPLIER)
        self.owner = make_token(tenant, PRODUCT_OWNER)
        self.viewer = make_token(tenant, VIEWER)

    def propose(self, **overrides: Any) -> dict[str, Any]:
        r = self.client.post(URL, headers=auth(self.supplier), json=proposal(**overrides))
        assert r.status_code == 201, r.text
        return r.json()

    def get(self, item: dict[str, Any]) -> Any:
        return self.client.get(f"{URL}/{item['id']}", headers=auth(self.viewer))

    def act(self, item: dict[str, Any], action: str, body: dict[str, Any], token: str) -> Any:
        """POST an action with the item's current ETag."""
        etag = self.get(item).headers["ETag"]
        return self.client.post(
            f"{URL}/{item['id']}/{action}", headers=auth(token, **{"If-Match": etag}), json=body
        )

    def decide(self, item: dict[str, Any], decision: str = "accepted") -> Any:
        return self.act(item, "decisions", {"decision": decision, "reason": "Worth it"}, self.owner)

    def to(self, item: dict[str, Any], status: str) -> Any:
        return self.act(item, "transitions", {"status": status}, self.supplier)

    def order(self) -> Any:
        return self.client.get(f"{URL}/order", headers=auth(self.viewer))
