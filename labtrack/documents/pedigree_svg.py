"""A minimal server-side SVG drawing of a pedigree (generations by parent links).

``draw(members) -> str`` where members are ``(id, label, sex, father_id, mother_id, kind)`` with
kind ``"missing"``, ``"typed"`` (a donor) or ``"untyped"``. Squares are males, circles females,
diamonds unknown; the missing person is drawn in red, typed donors filled.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

Member = tuple[int, str, str, int | None, int | None, str]


def _generations(members: Sequence[Member]) -> dict[int, int]:
    by_id = {m[0]: m for m in members}
    depth: dict[int, int] = {}

    def level(member_id: int, seen: frozenset[int] = frozenset()) -> int:
        if member_id in depth:
            return depth[member_id]
        m = by_id[member_id]
        parents = [p for p in (m[3], m[4]) if p in by_id and p not in seen]
        value = 1 + max((level(p, seen | {member_id}) for p in parents), default=-1)
        depth[member_id] = value
        return value

    for m in members:
        level(m[0])
    return depth


def draw(members: Sequence[Member]) -> str:
    if not members:
        return ""
    depth = _generations(members)
    rows: dict[int, list[Member]] = {}
    for m in members:
        rows.setdefault(depth[m[0]], []).append(m)
    width = max(len(r) for r in rows.values()) * 130 + 20
    height = len(rows) * 90 + 20
    pos = {m[0]: (20 + i * 130 + 40, 30 + g * 90) for g, row in rows.items() for i, m in enumerate(row)}
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" class="pedigree" '
             'role="img" aria-label="pedigree">']
    for m in members:
        x, y = pos[m[0]]
        for parent in (m[3], m[4]):
            if parent in pos:
                px, py = pos[parent]
                parts.append(f'<line x1="{px}" y1="{py + 14}" x2="{x}" y2="{y - 14}" stroke="#555"/>')
    for member_id, label, sex, _f, _m, kind in members:
        x, y = pos[member_id]
        stroke = "#b00020" if kind == "missing" else "#222"
        fill = "#555" if kind == "typed" else "#fff"
        if sex == "M":
            shape = f'<rect x="{x - 14}" y="{y - 14}" width="28" height="28"'
        elif sex == "F":
            shape = f'<circle cx="{x}" cy="{y}" r="14"'
        else:
            shape = f'<polygon points="{x},{y - 16} {x + 16},{y} {x},{y + 16} {x - 16},{y}"'
        parts.append(f'{shape} fill="{fill}" stroke="{stroke}" stroke-width="{3 if kind == "missing" else 1.5}"/>')
        parts.append(f'<text x="{x}" y="{y + 30}" font-size="11" text-anchor="middle">{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)
