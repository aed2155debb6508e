"""Inline SVG charts drawn in Python: lines over time (or over chunk numbers), a heatmap,
histograms and a timeline.

Every function returns one ``<svg>`` element as text, sized in pixels, with ``<title>``
tooltips instead of script, so the page needs nothing from the network.

>>> from datetime import UTC, datetime, timedelta
>>> start = datetime(2026, 6, 1, tzinfo=UTC)
>>> points = [(start + timedelta(days=day), 0.1 * day) for day in range(3)]
>>> chart = line_chart([Line("psi", points, "#3b5bdb")], value_format="{:.2f}")
>>> chart.startswith("<svg") and "0.20" in chart and "http" not in chart.replace(SVG_NS, "")
True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html import escape
from typing import Any, Protocol

SVG_NS = "http://www.w3.org/2000/svg"
"""The SVG namespace: an identifier, never fetched."""

Position = datetime | int
"""Where a point sits on a line chart's x axis: a time, or a whole position (a chunk)."""

PALETTE = ("#3b5bdb", "#e8590c", "#2b8a3e", "#ae3ec9", "#1098ad", "#c2255c", "#5c940d")
OK_COLOUR, WARN_COLOUR, ALERT_COLOUR = "#2f9e44", "#f08c00", "#c92a2a"
GRID_COLOUR, AXIS_TEXT = "#e9ecef", "#6c757d"
UNJUDGED_COLOUR = "#ced4da"
_FONT = 'font-family="system-ui,-apple-system,Segoe UI,Roboto,sans-serif"'


@dataclass(frozen=True)
class Line:
    """One series of a line chart: points in time, or at whole positions such as chunk
    numbers (None: a gap), a colour, a dash pattern.

    ``hollow`` points are drawn as open circles (an immature window, say).
    """

    name: str
    points: Sequence[tuple[Position, float | None]]
    colour: str
    dashed: bool = False
    hollow: frozenset[Position] = field(default_factory=frozenset)
    alerts: frozenset[Position] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Band:
    """A shaded stretch of the time axis, with a label (immature labels, a canary...)."""

    start: datetime
    end: datetime
    label: str
    colour: str = "#f1f3f5"


@dataclass(frozen=True)
class Level:
    """A horizontal reference line (a threshold, a baseline)."""

    value: float
    label: str
    colour: str


@dataclass(frozen=True)
class Marker:
    """A moment marked across a line chart: a vertical line with a tooltip; ``label`` is
    written at its top (the shift, a promotion), ``kind`` names it in the legend."""

    at: datetime
    text: str
    colour: str
    kind: str
    label: str | None = None


@dataclass(frozen=True)
class Mark:
    """One event on a timeline: when, on which lane, its symbol colour and tooltip."""

    at: datetime
    lane: str
    colour: str
    text: str
    end: datetime | None = None


class _Scale(Protocol):
    start: Any
    end: Any
    left: float
    right: float

    def __call__(self, position: Any, /) -> float: ...

    def ticks(self, count: int = 7) -> list[Any]: ...

    def label(self, position: Any, /) -> str: ...


class _TimeScale:
    def __init__(self, start: datetime, end: datetime, left: float, right: float) -> None:
        if end <= start:
            end = start + timedelta(days=1)
        self.start, self.end, self.left, self.right = start, end, left, right

    def __call__(self, moment: datetime) -> float:
        share = (moment - self.start) / (self.end - self.start)
        return self.left + share * (self.right - self.left)

    def label(self, moment: datetime) -> str:
        return _date(moment)

    def ticks(self, count: int = 7) -> list[datetime]:
        span = self.end - self.start
        step = max(timedelta(days=1), span / count)
        step = timedelta(days=round(step / timedelta(days=1)) or 1)
        first = self.start.replace(hour=0, minute=0, second=0, microsecond=0)
        if first < self.start:
            first += timedelta(days=1)
        return [
            first + index * step for index in range(count + 1) if first + index * step <= self.end
        ]


class _IndexScale:
    """Whole positions (chunk numbers) from ``start`` to ``end`` on the x axis."""

    def __init__(self, start: int, end: int, left: float, right: float) -> None:
        self.start, self.end, self.left, self.right = start, max(end, start + 1), left, right

    def __call__(self, position: int) -> float:
        share = (position - self.start) / (self.end - self.start)
        return self.left + share * (self.right - self.left)

    def ticks(self, count: int = 7) -> list[int]:
        step = max(1, math.ceil((self.end - self.start) / count))
        return list(range(self.start, self.end + 1, step))

    def label(self, position: int) -> str:
        return str(position)


def _scale(positions: Sequence[Position], left: float, right: float) -> _Scale:
    """A time scale for times, an index scale for whole positions."""
    numbers = [position for position in positions if isinstance(position, int)]
    if len(numbers) == len(positions):
        return _IndexScale(min(numbers), max(numbers), left, right)
    moments = [position for position in positions if isinstance(position, datetime)]
    return _TimeScale(min(moments), max(moments), left, right)


def _date(moment: datetime) -> str:
    return moment.strftime("%d %b %y").lstrip("0")


def _open(width: int, height: int, label: str) -> str:
    return (
        f'<svg xmlns="{SVG_NS}" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(label)}" {_FONT} font-size="11">'
    )


def _time_axis(scale: _Scale, top: float, bottom: float) -> list[str]:
    parts = []
    for tick in scale.ticks():
        x = scale(tick)
        anchor = "end" if x > scale.right - 28 else "middle"
        parts.append(
            f'<line x1="{x:.1f}" y1="{top:.1f}" x2="{x:.1f}" y2="{bottom:.1f}" '
            f'stroke="{GRID_COLOUR}"/><text x="{x:.1f}" y="{bottom + 14:.1f}" '
            f'text-anchor="{anchor}" fill="{AXIS_TEXT}">{scale.label(tick)}</text>'
        )
    return parts


def _nice_ticks(values: Sequence[float], floor_zero: bool) -> list[float]:
    """Round tick values covering ``values``: steps of 1, 2, 2.5 or 5 times a power of ten."""
    low, high = min(values), max(values)
    if floor_zero:
        low, high = min(0.0, low), max(0.0, high)
    if high == low:
        high = low + (abs(low) or 1.0)
    raw = (high - low) / 4
    power = 10 ** math.floor(math.log10(raw))
    step = next(power * factor for factor in (1, 2, 2.5, 5, 10) if power * factor >= raw)
    first = math.floor(low / step + 1e-9) * step
    count = math.ceil((high - first) / step - 1e-9)
    return [first + index * step for index in range(count + 1)]


def line_chart(
    lines: Sequence[Line],
    *,
    width: int = 1100,
    height: int = 260,
    value_format: str = "{:.3g}",
    levels: Sequence[Level] = (),
    bands: Sequence[Band] = (),
    floor_zero: bool = True,
    label: str = "line chart",
    markers: Sequence[Marker] = (),
) -> str:
    """Lines over a shared time axis (or chunk numbers, when every point's position is a
    whole number), with threshold levels, shaded bands and markers (times only) and a legend.

    >>> from datetime import UTC, datetime
    >>> day = datetime(2026, 6, 1, tzinfo=UTC)
    >>> "no data" in line_chart([Line("x", [(day, None)], "#000")])
    True
    >>> ">chunk 1: 0.5<" in line_chart([Line("chunk", [(0, 0.25), (1, 0.5)], "#000")])
    True
    >>> shift = Marker(day + timedelta(days=3), "the shift", "#000", "shift", label="shift")
    >>> marked = line_chart([Line("x", [(day, 1.0), (day + timedelta(days=1), 2.0)], "#000")],
    ...                     markers=[shift])
    >>> ">shift</text>" in marked and "<title>the shift</title>" in marked
    True
    """
    moments = [moment for line in lines for moment, _ in line.points]
    if markers and all(isinstance(moment, datetime) for moment in moments):
        moments += [marker.at for marker in markers]  # the axis reaches every marker
    values = [value for line in lines for _, value in line.points if value is not None]
    if not values:
        return (
            f'{_open(width, 40, label)}<text x="8" y="24" fill="{AXIS_TEXT}">no data</text></svg>'
        )
    values += [level.value for level in levels]
    left, right, top, bottom = 64.0, width - 16.0, 12.0, height - 46.0
    scale = _scale(moments, left, right)
    ticks = _nice_ticks(values, floor_zero)
    low, high = ticks[0], ticks[-1]

    def y(value: float) -> float:
        return bottom - (value - low) / (high - low) * (bottom - top)

    parts = [_open(width, height, label)]
    for band in bands:
        x1, x2 = scale(max(band.start, scale.start)), scale(min(band.end, scale.end))
        if x2 > x1:
            parts.append(
                f'<rect x="{x1:.1f}" y="{top}" width="{x2 - x1:.1f}" height="{bottom - top:.1f}" '
                f'fill="{band.colour}"><title>{escape(band.label)}</title></rect>'
                f'<text x="{x1 + 4:.1f}" y="{top + 12:.1f}" fill="{AXIS_TEXT}">'
                f"{escape(band.label)}</text>"
            )
    for value in ticks:
        parts.append(
            f'<line x1="{left}" y1="{y(value):.1f}" x2="{right}" y2="{y(value):.1f}" '
            f'stroke="{GRID_COLOUR}"/><text x="{left - 6}" y="{y(value) + 4:.1f}" '
            f'text-anchor="end" fill="{AXIS_TEXT}">{escape(value_format.format(value))}</text>'
        )
    parts += _time_axis(scale, top, bottom)
    for level in levels:
        parts.append(
            f'<line x1="{left}" y1="{y(level.value):.1f}" x2="{right}" y2="{y(level.value):.1f}" '
            f'stroke="{level.colour}" stroke-dasharray="6 4" stroke-width="1.5"/>'
            f'<text x="{right - 4}" y="{y(level.value) - 4:.1f}" text-anchor="end" '
            f'fill="{level.colour}">{escape(level.label)} {value_format.format(level.value)}</text>'
        )
    parts += _markers(markers, scale, top, bottom)
    for line in lines:
        parts += _polyline(line, scale, y, value_format)
    parts.append(_legend(lines, levels, left, height - 14, markers))
    parts.append("</svg>")
    return "".join(parts)


def _polyline(
    line: Line, scale: _Scale, y: Callable[[float], float], value_format: str
) -> list[str]:
    parts: list[str] = []
    runs: list[list[tuple[float, float]]] = [[]]
    for moment, value in sorted(line.points, key=lambda point: scale(point[0])):
        if value is None:
            runs.append([])
            continue
        runs[-1].append((scale(moment), y(value)))
    dash = ' stroke-dasharray="5 4"' if line.dashed else ""
    for run in runs:
        if len(run) > 1:
            coordinates = " ".join(f"{x:.1f},{value:.1f}" for x, value in run)
            parts.append(
                f'<polyline points="{coordinates}" fill="none" stroke="{line.colour}" '
                f'stroke-width="2"{dash} stroke-linejoin="round"/>'
            )
    radius = 3.0 if len(line.points) <= 120 else 1.8
    for moment, value in line.points:
        if value is None:
            continue
        tip = f"{line.name} {scale.label(moment)}: {value_format.format(value)}"
        fill, stroke, size = line.colour, line.colour, radius
        if moment in line.hollow:
            fill, tip = "#fff", tip + " (immature)"
        if moment in line.alerts:
            fill, stroke, size, tip = ALERT_COLOUR, "#fff", radius + 1.5, tip + " (alert)"
        parts.append(
            f'<circle cx="{scale(moment):.1f}" cy="{y(value):.1f}" r="{size}" fill="{fill}" '
            f'stroke="{stroke}" stroke-width="1.2"><title>{escape(tip)}</title></circle>'
        )
    return parts


def _markers(markers: Sequence[Marker], scale: _Scale, top: float, bottom: float) -> list[str]:
    """Vertical lines at the markers inside the time axis; labels stacked so that close ones
    do not overwrite each other."""
    parts: list[str] = []
    if not isinstance(scale, _TimeScale):
        return parts
    row = 0
    for marker in sorted(markers, key=lambda found: found.at):
        if not scale.start <= marker.at <= scale.end:
            continue
        x = scale(marker.at)
        parts.append(
            f'<line x1="{x:.1f}" y1="{top:.1f}" x2="{x:.1f}" y2="{bottom:.1f}" '
            f'stroke="{marker.colour}" stroke-width="1.5" stroke-dasharray="3 3">'
            f"<title>{escape(marker.text)}</title></line>"
        )
        if marker.label:
            anchor = "end" if x > scale.right - 80 else "start"
            shift = -3 if anchor == "end" else 3
            parts.append(
                f'<text x="{x + shift:.1f}" y="{top + 10 + 11 * row:.1f}" text-anchor="{anchor}" '
                f'fill="{marker.colour}" font-size="10">{escape(marker.label)}</text>'
            )
            row = (row + 1) % 3
    return parts


def _legend(
    lines: Sequence[Line],
    levels: Sequence[Level],
    x: float,
    y: float,
    markers: Sequence[Marker] = (),
) -> str:
    parts = []
    for line in lines:
        dash = ' stroke-dasharray="5 4"' if line.dashed else ""
        parts.append(
            f'<line x1="{x:.0f}" y1="{y - 4:.0f}" x2="{x + 22:.0f}" y2="{y - 4:.0f}" '
            f'stroke="{line.colour}" stroke-width="2.5"{dash}/>'
            f'<text x="{x + 27:.0f}" y="{y:.0f}" fill="#343a40">{escape(line.name)}</text>'
        )
        x += 40 + 6.5 * len(line.name)
    kinds = dict.fromkeys((marker.kind, marker.colour) for marker in markers)
    for kind, colour in kinds:
        parts.append(
            f'<line x1="{x + 6:.0f}" y1="{y - 11:.0f}" x2="{x + 6:.0f}" y2="{y + 2:.0f}" '
            f'stroke="{colour}" stroke-width="2" stroke-dasharray="3 3"/>'
            f'<text x="{x + 13:.0f}" y="{y:.0f}" fill="#343a40">{escape(kind)}</text>'
        )
        x += 30 + 6.5 * len(kind)
    return "".join(parts)


def heatmap(
    rows: Sequence[str],
    columns: Sequence[datetime],
    cells: Mapping[tuple[str, datetime], float],
    *,
    warn: Callable[[str], float],
    alert: Callable[[str], float],
    width: int = 1100,
    column_label: Callable[[datetime], str] = _date,
    unjudged: Mapping[tuple[str, datetime], str] | None = None,
    label: str = "heatmap",
) -> str:
    """Rows (features) against columns (windows), each cell coloured by its value's level.

    Green below ``warn(row)``, amber up to ``alert(row)``, red beyond; the shade deepens with
    the value, and each cell's tooltip gives the number. ``unjudged`` cells (no verdict: a
    window short of the feature's cycle, too few rows, a version warming up; the value is why,
    for the tooltip) are grey whatever their value.

    >>> from datetime import UTC, datetime
    >>> day = datetime(2026, 6, 1, tzinfo=UTC)
    >>> page = heatmap(["amount"], [day], {("amount", day): 0.4}, warn=lambda _: 0.1,
    ...                alert=lambda _: 0.25)
    >>> ALERT_COLOUR in page and "0.400" in page
    True
    """
    label_width = 8 + 7 * max((len(row) for row in rows), default=4)
    cell_width = max(6.0, min(44.0, (width - label_width - 16) / max(1, len(columns))))
    cell_height = 24.0
    height = int(cell_height * len(rows) + 64)
    total_width = int(label_width + cell_width * len(columns) + 16)
    parts = [_open(max(total_width, 360), height, label)]
    every = max(1, round(70 / cell_width))
    for index, column in enumerate(columns):
        x = label_width + index * cell_width
        if index % every == 0:
            parts.append(
                f'<text x="{x + cell_width / 2:.1f}" y="{height - 34}" text-anchor="middle" '
                f'fill="{AXIS_TEXT}">{escape(column_label(column))}</text>'
            )
        for row_index, row in enumerate(rows):
            value = cells.get((row, column))
            reason = (unjudged or {}).get((row, column))
            judged = reason is None
            colour = "#f8f9fa" if value is None else _level_colour(value, warn(row), alert(row))
            tip = f"{row} {column_label(column)}: " + (
                "no data" if value is None else f"{value:.3f}"
            )
            if value is not None and not judged:
                colour, tip = UNJUDGED_COLOUR, f"{tip} (not judged: {reason})"
            parts.append(
                f'<rect x="{x:.1f}" y="{row_index * cell_height + 4:.1f}" '
                f'width="{cell_width - 1:.1f}" height="{cell_height - 2:.1f}" fill="{colour}">'
                f"<title>{escape(tip)}</title></rect>"
            )
            if value is not None and cell_width >= 34:
                ink = "#fff" if judged and value >= warn(row) else "#1b4332"
                parts.append(
                    f'<text x="{x + cell_width / 2:.1f}" y="{row_index * cell_height + 19:.1f}" '
                    f'text-anchor="middle" font-size="9.5" fill="{ink}">{value:.2f}</text>'
                )
    for row_index, row in enumerate(rows):
        parts.append(
            f'<text x="{label_width - 8}" y="{row_index * cell_height + 19:.1f}" '
            f'text-anchor="end" fill="#343a40">{escape(row)}</text>'
        )
    key_y = height - 14
    keys = [(OK_COLOUR, "below warn"), (WARN_COLOUR, "warn"), (ALERT_COLOUR, "alert")]
    if unjudged:
        keys.append((UNJUDGED_COLOUR, "not judged"))
    for offset, (colour, text) in enumerate(keys):
        x = label_width + offset * 110
        parts.append(
            f'<rect x="{x}" y="{key_y - 10}" width="12" height="12" fill="{colour}"/>'
            f'<text x="{x + 17}" y="{key_y}" fill="#343a40">{text}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _level_colour(value: float, warn: float, alert: float) -> str:
    if value >= alert:
        depth = min(1.0, (value - alert) / max(alert, 1e-9))
        return _mix("#e03131", "#862e2e", depth)
    if value >= warn:
        return _mix("#ffc078", WARN_COLOUR, (value - warn) / max(alert - warn, 1e-9))
    return _mix("#d3f9d8", "#69db7c", value / max(warn, 1e-9))


def _mix(light: str, dark: str, share: float) -> str:
    share = max(0.0, min(1.0, share))
    channels = [
        round(
            int(light[index : index + 2], 16) * (1 - share)
            + int(dark[index : index + 2], 16) * share
        )
        for index in (1, 3, 5)
    ]
    return "#" + "".join(f"{channel:02x}" for channel in channels)


def histogram(
    shares: Sequence[float],
    reference_shares: Sequence[float],
    *,
    width: int = 250,
    height: int = 130,
    colour: str = PALETTE[0],
    top_share: float | None = None,
    label: str = "histogram",
) -> str:
    """One week's score shares per bin (bars) over the reference's (a dark step line).

    >>> "<rect" in histogram([0.5, 0.5], [0.4, 0.6])
    True
    """
    left, right, top, bottom = 6.0, width - 6.0, 6.0, height - 18.0
    bins = max(1, len(shares))
    step = (right - left) / bins
    highest = top_share or max([*shares, *reference_shares, 1e-9])
    parts = [_open(width, height, label)]
    parts.append(
        f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="{AXIS_TEXT}"/>'
    )
    for index, share in enumerate(shares):
        bar = share / highest * (bottom - top)
        parts.append(
            f'<rect x="{left + index * step + 0.5:.1f}" y="{bottom - bar:.1f}" '
            f'width="{max(step - 1, 0.5):.1f}" height="{bar:.1f}" fill="{colour}" opacity="0.75">'
            f"<title>bin {index + 1}: {share:.1%} of the week, "
            f"{reference_shares[index] if index < len(reference_shares) else 0:.1%} of the reference"
            "</title></rect>"
        )
    path = []
    for index, share in enumerate(reference_shares):
        level = bottom - share / highest * (bottom - top)
        path.append(
            f"{left + index * step:.1f},{level:.1f} {left + (index + 1) * step:.1f},{level:.1f}"
        )
    if path:
        parts.append(
            f'<polyline points="{" ".join(path)}" fill="none" stroke="#212529" stroke-width="1.6"/>'
        )
    parts.append(
        f'<text x="{left}" y="{height - 5}" fill="{AXIS_TEXT}" font-size="9.5">low scores</text>'
        f'<text x="{right}" y="{height - 5}" text-anchor="end" fill="{AXIS_TEXT}" '
        'font-size="9.5">high scores</text></svg>'
    )
    return "".join(parts)


def timeline(
    marks: Sequence[Mark],
    lanes: Sequence[str],
    *,
    start: datetime,
    end: datetime,
    width: int = 1100,
    label: str = "timeline",
) -> str:
    """Events on lanes over time: a dot per instant, a bar per span (``end`` set).

    >>> from datetime import UTC, datetime
    >>> day = datetime(2026, 6, 1, tzinfo=UTC)
    >>> "alert" in timeline([Mark(day, "alerts", "#c00", "psi")], ["alerts"], start=day, end=day)
    True
    """
    lane_height, label_width = 30.0, 130.0
    height = int(lane_height * len(lanes) + 40)
    scale = _TimeScale(start, end, label_width, width - 16.0)
    parts = [_open(width, height, label)]
    bottom = lane_height * len(lanes) + 4
    parts += _time_axis(scale, 4, bottom)
    for index, lane in enumerate(lanes):
        middle = index * lane_height + 4 + lane_height / 2
        parts.append(
            f'<text x="{label_width - 10}" y="{middle + 4:.1f}" text-anchor="end" '
            f'fill="#343a40">{escape(lane)}</text><line x1="{label_width}" y1="{middle:.1f}" '
            f'x2="{width - 16}" y2="{middle:.1f}" stroke="#dee2e6"/>'
        )
    for mark in marks:
        if mark.lane not in lanes:
            continue
        middle = lanes.index(mark.lane) * lane_height + 4 + lane_height / 2
        x = scale(mark.at)
        tip = f"<title>{escape(mark.text)}</title>"
        if mark.end is not None:
            x2 = max(scale(mark.end), x + 4)
            parts.append(
                f'<rect x="{x:.1f}" y="{middle - 7:.1f}" width="{x2 - x:.1f}" height="14" rx="3" '
                f'fill="{mark.colour}" opacity="0.8">{tip}</rect>'
            )
        else:
            parts.append(
                f'<circle cx="{x:.1f}" cy="{middle:.1f}" r="6" fill="{mark.colour}" '
                f'stroke="#fff" stroke-width="1.5">{tip}</circle>'
            )
    parts.append("</svg>")
    return "".join(parts)


__all__ = [
    "ALERT_COLOUR",
    "OK_COLOUR",
    "PALETTE",
    "SVG_NS",
    "UNJUDGED_COLOUR",
    "WARN_COLOUR",
    "Band",
    "Level",
    "Line",
    "Mark",
    "Marker",
    "Position",
    "heatmap",
    "histogram",
    "line_chart",
    "timeline",
]
