"""Collecting figures and printing them as an aligned table with target verdicts."""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Row:
    """One printed figure."""

    section: str
    name: str
    value: str
    unit: str = ""
    note: str = ""


@dataclass(frozen=True)
class Target:
    """A goal a figure is compared with (``higher`` = the figure must reach the threshold)."""

    name: str
    measured: float
    threshold: float
    unit: str
    higher: bool = True

    @property
    def met(self) -> bool:
        """Whether the measured value satisfies the threshold."""
        if math.isnan(self.measured):
            return False
        return self.measured >= self.threshold if self.higher else self.measured <= self.threshold


@dataclass
class Report:
    """Everything the bench measured, in the order it was measured."""

    rows: list[Row] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, section: str, name: str, value: str, unit: str = "", note: str = "") -> None:
        """Record one figure."""
        self.rows.append(Row(section, name, value, unit, note))

    def target(self, target: Target) -> None:
        """Record one target verdict."""
        self.targets.append(target)

    def note(self, text: str) -> None:
        """Record a free-form remark printed after the table."""
        self.notes.append(text)


def rate(count: int, seconds: float) -> float:
    """Events per second (NaN when nothing was timed)."""
    return count / seconds if seconds > 0 else math.nan


def fmt_num(value: float, digits: int = 0) -> str:
    """Thousands-separated number, ``n/a`` for NaN."""
    if math.isnan(value):
        return "n/a"
    return f"{value:,.{digits}f}"


def progress(text: str) -> None:
    """A progress line on stderr (kept out of the printed figures)."""
    sys.stderr.write(f"[bench] {text}\n")
    sys.stderr.flush()


def render(report: Report, header: list[str]) -> str:
    """The full printed report: header lines, the figure table, targets and notes."""
    out = list(header)
    cols = ("section", "figure", "value", "unit", "note")
    table = [(r.section, r.name, r.value, r.unit, r.note) for r in report.rows]
    widths = [max([len(c)] + [len(t[i]) for t in table]) for i, c in enumerate(cols)]
    widths[-1] = len(cols[-1])  # the note column is left ragged

    def line(cells: tuple[str, ...]) -> str:
        """One table line, the value column right-aligned."""
        parts = []
        for i, cell in enumerate(cells):
            parts.append(cell.rjust(widths[i]) if i == 2 else cell.ljust(widths[i]))
        return "  ".join(parts).rstrip()

    out.append("")
    out.append(line(cols))
    out.append("  ".join("-" * w for w in widths))
    previous = ""
    for cells in table:
        shown = cells if cells[0] != previous else ("", *cells[1:])
        previous = cells[0]
        out.append(line(shown))
    out.append("")
    out.append("Targets")
    name_w = max([len(t.name) for t in report.targets] + [6])
    for t in report.targets:
        op = ">=" if t.higher else "<="
        verdict = "met" if t.met else "NOT MET"
        out.append(
            f"  {t.name.ljust(name_w)}  {fmt_num(t.measured, 1):>12} {t.unit:<4} "
            f"(target {op} {fmt_num(t.threshold)} {t.unit})  {verdict}"
        )
    if report.notes:
        out.append("")
        out.append("Notes")
        out.extend(f"  - {n}" for n in report.notes)
    return "\n".join(out)
