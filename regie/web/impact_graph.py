"""The layout of a CI's impact as a picture: one column per depth, the CI itself on the
left, each affected CI joined to the one its shortest path reaches it from. The template
draws it as inline SVG; the same impact is also listed, so the picture is never the only way
to read it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from cmdb.schemas import AffectedCi

MAX_DRAWN = 40  # more nodes than this no longer read as a picture; the list has them all
WIDTH, HEIGHT, GAP_X, GAP_Y, MARGIN = 170, 34, 50, 12, 4
LABEL = 22  # characters of a name that fit in a node


@dataclass(frozen=True)
class Node:
    id: uuid.UUID | None  # None for the CI asked about
    label: str
    x: int
    y: int


@dataclass(frozen=True)
class Edge:
    x1: int
    y1: int
    x2: int
    y2: int


@dataclass(frozen=True)
class Graph:
    nodes: list[Node]
    edges: list[Edge]
    width: int
    height: int
    drawn: int
    total: int


def _short(name: str) -> str:
    return name if len(name) <= LABEL else name[: LABEL - 1] + "…"


def draw(name: str, cis: list[AffectedCi]) -> Graph:
    """Positions of the nodes and lines for the nearest MAX_DRAWN affected CIs."""
    shown = cis[:MAX_DRAWN]
    columns: dict[int, int] = {0: 1}
    places: dict[uuid.UUID | None, tuple[int, int]] = {None: (MARGIN, MARGIN)}
    nodes = [Node(None, _short(name), MARGIN, MARGIN)]
    for ci in shown:
        row = columns.get(ci.depth, 0)
        columns[ci.depth] = row + 1
        x = MARGIN + ci.depth * (WIDTH + GAP_X)
        y = MARGIN + row * (HEIGHT + GAP_Y)
        places[ci.id] = (x, y)
        nodes.append(Node(ci.id, _short(ci.name), x, y))
    edges = []
    start = shown[0].path[0] if shown else None
    for ci in shown:
        parent = ci.path[-2] if len(ci.path) > 1 else start
        px, py = places.get(None if parent == start else parent, places[None])
        x, y = places[ci.id]
        edges.append(Edge(px + WIDTH, py + HEIGHT // 2, x - 2, y + HEIGHT // 2))
    width = MARGIN * 2 + max(columns) * (WIDTH + GAP_X) + WIDTH
    height = MARGIN * 2 + max(columns.values()) * (HEIGHT + GAP_Y) - GAP_Y
    return Graph(nodes, edges, width, height, len(shown), len(cis))
