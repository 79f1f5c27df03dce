"""Each person's saved views of a list page: a name for a set of filters, theirs alone.

A view is kept in the tenant the person signs in to and is found by its owner's id, so
another person (or another tenant) can neither list, open nor delete it.
"""

from __future__ import annotations

import uuid
from urllib.parse import parse_qsl, urlencode

from sqlmodel import Session, col, select

from core.errors import Conflict, NotFound
from regie.web.models import SavedView

MAX_VIEWS = 50


class TooManyViews(Conflict):
    title = "Too many saved views"


def views_of(session: Session, *, owner: uuid.UUID, page: str) -> list[SavedView]:
    """The owner's views of `page`, by name."""
    stmt = select(SavedView).where(SavedView.owner_oid == owner, SavedView.page == page)
    return list(session.exec(stmt.order_by(col(SavedView.name)).limit(MAX_VIEWS)))


def save_view(session: Session, *, owner: uuid.UUID, page: str, name: str, query: str) -> SavedView:
    """Keep the filters under `name`; saving an existing name replaces its filters."""
    stmt = select(SavedView).where(
        SavedView.owner_oid == owner, SavedView.page == page, SavedView.name == name
    )
    view = session.exec(stmt).first()
    if view is None and len(views_of(session, owner=owner, page=page)) >= MAX_VIEWS:
        raise TooManyViews(f"At most {MAX_VIEWS} saved views per page.")
    if view is None:
        view = SavedView(owner_oid=owner, page=page, name=name, query=query)
        session.add(view)
    else:
        view.query = query
    session.flush()
    return view


def delete_view(session: Session, *, owner: uuid.UUID, view_id: uuid.UUID) -> None:
    """Delete one of the owner's views; anyone else's is not found."""
    stmt = select(SavedView).where(SavedView.id == view_id, SavedView.owner_oid == owner)
    view = session.exec(stmt).first()
    if view is None:
        raise NotFound("No such saved view.")
    session.delete(view)


def clean_query(raw: str, keys: tuple[str, ...]) -> str:
    """Only the page's own filters, each once and non-empty, in the page's order."""
    given = dict(parse_qsl(raw[:1000]))
    return urlencode([(k, given[k]) for k in keys if given.get(k)])
