"""A picture as data: lanes (bodies), columns (moments), and what is drawn on them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

BarStyle = Literal["in_effect", "announced", "proposed"]
MarkKind = Literal["registered", "renamed", "dissolved", "merged", "changed", "announcement"]
LinkKind = Literal["transfer", "part_of", "merged_into", "accountable", "successor"]


@dataclass(frozen=True)
class Column:
    """A moment on the axis: a position of the register and when it took effect."""

    heading: str
    when: str
    position: int | None = None


@dataclass(frozen=True)
class Lane:
    id: str
    label: str
    depth: int = 0


@dataclass(frozen=True)
class Bar:
    lane: str
    start: int
    end: int | None
    """Column where it stops (``None``: it still holds)."""
    style: BarStyle
    sentence: str


@dataclass(frozen=True)
class Mark:
    lane: str
    column: int
    kind: MarkKind
    label: str
    sentence: str


@dataclass(frozen=True)
class Link:
    source: str
    target: str
    column: int
    kind: LinkKind
    label: str
    sentence: str


@dataclass
class Picture:
    title: str
    summary: str
    columns: list[Column]
    lanes: list[Lane] = field(default_factory=list)
    bars: list[Bar] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)

    def facts(self) -> list[tuple[Column, str]]:
        """Every fact drawn, in words, by column (the picture's text alternative)."""
        found: list[tuple[int, int, str]] = []
        found += [(b.start, 0, b.sentence) for b in self.bars]
        found += [(m.column, 1, m.sentence) for m in self.marks]
        found += [(k.column, 2, k.sentence) for k in self.links]
        return [(self.columns[c], text) for c, _, text in sorted(found, key=lambda f: f[:2])]
