"""A :class:`~.model.Picture` as SVG: lanes down, columns across, legend below.

Presentation attributes only (no CSS classes), so the drawing reads the same inline, saved on
its own or printed; nothing depends on colour alone (bars differ by outline and dash, marks by
shape, links by dash and arrow head). The SVG is one image (``role="img"``) named by its title
and summary; the facts it draws are listed in words beside it, as a table.
"""

from __future__ import annotations

import textwrap
from html import escape
from typing import Any

from services.projections.entrypoints.pages.pictures.model import Bar, Link, Mark, Picture

INK, MUTED, GRID, BLUE, GREEN, RED, PURPLE = (
    "#0b0c0c",
    "#505a5f",
    "#b1b4b6",
    "#1d70b8",
    "#00703c",
    "#d4351c",
    "#4c2c92",
)
LABEL_W, COL_W, AXIS_H, LINE_H, LANE_PAD = 260, 132, 64, 17, 30
FONT = 'font-family="arial, sans-serif"'

BAR_STYLE = {
    "in_effect": f'fill="{BLUE}" stroke="{BLUE}" stroke-width="2"',
    "announced": f'fill="#ffffff" stroke="{BLUE}" stroke-width="2" stroke-dasharray="6 4"',
    "proposed": f'fill="#ffffff" stroke="{MUTED}" stroke-width="2" stroke-dasharray="2 3"',
}
LINK_STYLE = {
    "transfer": (INK, ""),
    "part_of": (PURPLE, ""),
    "merged_into": (PURPLE, ""),
    "accountable": (INK, ' stroke-dasharray="6 4"'),
    "successor": (RED, ' stroke-dasharray="2 3"'),
}
LEGEND = {
    "in_effect": "holds it (in effect)",
    "announced": "announced, not yet in effect",
    "proposed": "proposed or withdrawn, never in effect",
    "registered": "first recorded",
    "renamed": "renamed",
    "dissolved": "dissolved",
    "merged": "merged (ends)",
    "changed": "changed",
    "announcement": "change announced",
    "transfer": "moved to",
    "part_of": "became part of",
    "merged_into": "merged into",
    "accountable": "accountable to",
    "successor": "succeeded by",
}


def t(value: str) -> str:
    return escape(value, quote=True)


class Layout:
    def __init__(self, picture: Picture) -> None:
        self.picture = picture
        self.lines = {lane.id: textwrap.wrap(lane.label, 30) or [lane.id] for lane in picture.lanes}
        self.top: dict[str, int] = {}
        y = AXIS_H
        for lane in picture.lanes:
            self.top[lane.id] = y
            y += LANE_PAD + LINE_H * len(self.lines[lane.id])
        self.lanes_bottom = y
        self.width = LABEL_W + COL_W * len(picture.columns) + 24

    def x(self, column: int) -> float:
        return LABEL_W + COL_W * column + COL_W / 2

    def y(self, lane: str) -> float:
        return self.top[lane] + (LANE_PAD + LINE_H * len(self.lines[lane])) / 2


def shown(picture: Picture, ident: str) -> dict[str, Any]:
    """A picture as a page's template takes it: the SVG (see :func:`svg`) and the model."""
    return {"svg": svg(picture, ident), "model": picture}


def svg(picture: Picture, ident: str) -> str:
    """The picture as an inline SVG element; ``ident`` makes its ids unique on the page."""
    layout = Layout(picture)
    legend, legend_h = _legend(picture, layout)
    height = layout.lanes_bottom + 16 + legend_h
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{layout.width}" '
        f'height="{height}" viewBox="0 0 {layout.width} {height}" '
        f'aria-labelledby="{ident}-title {ident}-desc" {FONT} font-size="14">',
        f'<title id="{ident}-title">{t(picture.title)}</title>',
        f'<desc id="{ident}-desc">{t(picture.summary)}</desc>',
        _defs(ident),
        f'<rect x="0" y="0" width="{layout.width}" height="{height}" fill="#ffffff"/>',
        *_axis(layout, height - legend_h),
        *_lanes(layout),
        *(_bar(layout, b) for b in picture.bars),
        *(_link(layout, k, i, ident) for i, k in enumerate(picture.links)),
        *(_mark(layout, m) for m in picture.marks),
        legend,
        "</svg>",
    ]
    return "\n".join(parts)


def _defs(ident: str) -> str:
    markers = "".join(
        f'<marker id="{ident}-{kind}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" '
        f'markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        f'fill="{colour}"/></marker>'
        for kind, (colour, _) in LINK_STYLE.items()
    )
    return f"<defs>{markers}</defs>"


def _axis(layout: Layout, bottom: float) -> list[str]:
    out = []
    for i, column in enumerate(layout.picture.columns):
        x = layout.x(i)
        out += [
            f'<text x="{x}" y="22" text-anchor="middle" font-weight="bold" fill="{INK}">'
            f"{t(column.heading)}</text>",
            f'<text x="{x}" y="40" text-anchor="middle" font-size="12" fill="{MUTED}">'
            f"{t(column.when)}</text>",
            f'<line x1="{x}" y1="{AXIS_H - 12}" x2="{x}" y2="{bottom - 8}" stroke="{GRID}" '
            'stroke-dasharray="3 4"/>',
        ]
    return out


def _lanes(layout: Layout) -> list[str]:
    out = []
    for n, lane in enumerate(layout.picture.lanes):
        top, lines = layout.top[lane.id], layout.lines[lane.id]
        if n:
            out.append(
                f'<line x1="8" y1="{top}" x2="{layout.width - 8}" y2="{top}" stroke="{GRID}"/>'
            )
        x = 10 + 16 * lane.depth
        first = layout.y(lane.id) - LINE_H * (len(lines) - 1) / 2 + 5
        for i, line in enumerate(lines):
            prefix = "\u2514 " if lane.depth and i == 0 else ""
            out.append(
                f'<text x="{x}" y="{first + i * LINE_H}" fill="{INK}">{t(prefix + line)}</text>'
            )
    return out


def _bar(layout: Layout, bar: Bar) -> str:
    x1 = layout.x(bar.start)
    x2 = layout.x(bar.end) if bar.end is not None else layout.width - 14
    y = layout.y(bar.lane)
    shape = (
        f'<rect x="{x1}" y="{y - 6}" width="{max(x2 - x1, 4)}" height="12" rx="2" '
        f"{BAR_STYLE[bar.style]}/>"
    )
    if bar.end is None:  # still holds: an open end
        shape += f'<path d="M{x2},{y - 9} L{x2 + 9},{y} L{x2},{y + 9} z" fill="{MUTED}"/>'
    return shape


def _mark(layout: Layout, mark: Mark) -> str:
    x, y = layout.x(mark.column), layout.y(mark.lane)
    return _shape(mark.kind, x, y) + _label(x + 10, y - 12, mark.label, "start")


def _shape(kind: str, x: float, y: float) -> str:
    shapes = {
        "registered": f'<circle cx="{x}" cy="{y}" r="6" fill="{INK}"/>',
        "renamed": f'<path d="M{x},{y - 8} L{x + 8},{y} L{x},{y + 8} L{x - 8},{y} z" '
        f'fill="{GREEN}" stroke="#ffffff" stroke-width="1.5"/>',
        "dissolved": f'<path d="M{x - 7},{y - 7} L{x + 7},{y + 7} M{x - 7},{y + 7} '
        f'L{x + 7},{y - 7}" stroke="{RED}" stroke-width="3"/>',
        "merged": f'<rect x="{x - 6}" y="{y - 6}" width="12" height="12" fill="{PURPLE}"/>',
        "changed": f'<circle cx="{x}" cy="{y}" r="6" fill="#ffffff" stroke="{INK}" '
        'stroke-width="2"/>',
        "announcement": f'<circle cx="{x}" cy="{y}" r="7" fill="#ffffff" stroke="{BLUE}" '
        'stroke-width="2" stroke-dasharray="3 2"/>',
    }
    return shapes[kind]


def _link(layout: Layout, link: Link, n: int, ident: str) -> str:
    colour, dash = LINK_STYLE[link.kind]
    shift = 10 + 8 * (n % 3)
    x = layout.x(link.column) + shift
    y1, y2 = layout.y(link.source), layout.y(link.target)
    y2 += -10 if y2 > y1 else 10
    line = (
        f'<path d="M{x},{y1} L{x},{y2}" stroke="{colour}" stroke-width="2" fill="none"{dash} '
        f'marker-end="url(#{ident}-{link.kind})"/>'
    )
    return line + _label(x + 6, (y1 + y2) / 2 + 4, link.label, "start")


def _label(x: float, y: float, text: str, anchor: str) -> str:
    if not text:
        return ""
    return (
        f'<text x="{x}" y="{y}" text-anchor="{anchor}" font-size="12" fill="{INK}" '
        f'stroke="#ffffff" stroke-width="4" paint-order="stroke">{t(text)}</text>'
    )


def _legend(picture: Picture, layout: Layout) -> tuple[str, int]:
    used: list[str] = [b.style for b in picture.bars] + [m.kind for m in picture.marks]
    used += [k.kind for k in picture.links]
    keys = [k for k in LEGEND if k in used]
    per_row = max(1, (layout.width - 20) // 230)
    rows = (len(keys) + per_row - 1) // per_row
    top = layout.lanes_bottom + 16
    out = []
    for i, key in enumerate(keys):
        x, y = 12 + 230 * (i % per_row), top + 24 * (i // per_row) + 12
        out.append(
            _swatch(key, x, y) + f'<text x="{x + 40}" y="{y + 5}" fill="{INK}" '
            f'font-size="13">{t(LEGEND[key])}</text>'
        )
    return "".join(out), 24 * rows + 8


def _swatch(key: str, x: float, y: float) -> str:
    if key in BAR_STYLE:
        return f'<rect x="{x}" y="{y - 6}" width="30" height="12" rx="2" {BAR_STYLE[key]}/>'
    if key in LINK_STYLE:
        colour, dash = LINK_STYLE[key]
        return f'<path d="M{x},{y} L{x + 30},{y}" stroke="{colour}" stroke-width="2"{dash}/>'
    return _shape(key, x + 15, y)
