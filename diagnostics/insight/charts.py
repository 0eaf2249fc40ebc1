"""Inline SVG charts for the dashboard, drawn on the server.

No JavaScript and no ``style`` attributes (the CSP forbids inline styles):
shapes carry classes styled by ``static/diagnostics/dashboard.css`` and fill
patterns defined in the SVG itself, so bars differ by pattern and every bar is
labelled in words and numbers: nothing depends on colour. Each chart is an
image with a title and a description; its figures are also in the table
printed beside it. Text is escaped by ``format_html``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe


def _html(template: str, /, *args: object, **kwargs: object) -> SafeString:
    """``format_html`` with numbers written as short decimals (one place at most)."""

    def short(value: object) -> object:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return f"{value:.1f}".removesuffix(".0")
        return value

    return format_html(
        template, *[short(a) for a in args], **{k: short(v) for k, v in kwargs.items()}
    )


WIDTH = 360  # the viewBox width: drawn about 1:1 on a phone, scaled on wider screens
PATTERNS = ("solid", "hatch", "dots", "cross", "light")


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str  # the value in words, printed beside the bar


def _defs(chart_id: str) -> SafeString:
    return _html(
        "<defs>"
        '<pattern id="{p}-hatch" width="6" height="6" patternUnits="userSpaceOnUse"'
        ' patternTransform="rotate(45)"><rect width="6" height="6" class="chart-bg"/>'
        '<line x1="0" y1="0" x2="0" y2="6" class="chart-ink" stroke-width="3"/></pattern>'
        '<pattern id="{p}-dots" width="6" height="6" patternUnits="userSpaceOnUse">'
        '<rect width="6" height="6" class="chart-bg"/>'
        '<circle cx="3" cy="3" r="1.6" class="chart-ink-fill"/></pattern>'
        '<pattern id="{p}-cross" width="6" height="6" patternUnits="userSpaceOnUse">'
        '<rect width="6" height="6" class="chart-bg"/>'
        '<path d="M0 0L6 6M6 0L0 6" class="chart-ink" stroke-width="1.2"/></pattern>'
        "</defs>",
        p=chart_id,
    )


def _fill(pattern: str) -> str:
    if pattern == "solid":
        return "chart-solid"
    if pattern == "light":
        return "chart-light"
    return ""


def _rect(chart_id: str, x: float, y: float, w: float, h: float, pattern: str) -> SafeString:
    css = _fill(pattern)
    if css:
        return _html(
            '<rect x="{}" y="{}" width="{}" height="{}" class="{} chart-edge"/>',
            x,
            y,
            w,
            h,
            css,
        )
    return _html(
        '<rect x="{}" y="{}" width="{}" height="{}" fill="url(#{}-{})" class="chart-edge"/>',
        x,
        y,
        w,
        h,
        chart_id,
        pattern,
    )


def _svg(chart_id: str, title: str, desc: str, height: float, body: SafeString) -> SafeString:
    return _html(
        '<svg class="chart" viewBox="0 0 {w} {h}" role="img"'
        ' aria-labelledby="{id}-title {id}-desc" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>'
        "{defs}{body}</svg>",
        w=WIDTH,
        h=height,
        id=chart_id,
        title=title,
        desc=desc,
        defs=_defs(chart_id),
        body=body,
    )


def _short(text: str, limit: int = 52) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bar_chart(
    *, chart_id: str, title: str, desc: str, bars: Sequence[Bar], patterned: bool = True
) -> SafeString:
    """Horizontal bars, one per row: the label above, the bar and its value below."""
    row, top = 38, 4
    longest = max((bar.value for bar in bars), default=0) or 1
    room = WIDTH - 90  # leave space for the value's text
    parts = []
    for i, bar in enumerate(bars):
        y = top + i * row
        width = max(room * bar.value / longest, 1 if bar.value else 0)
        pattern = PATTERNS[i % len(PATTERNS)] if patterned else "solid"
        parts.append(
            _html(
                '<text x="0" y="{}" class="chart-label">{}</text>{}'
                '<text x="{}" y="{}" class="chart-value">{}</text>',
                y + 12,
                _short(bar.label),
                _rect(chart_id, 0, y + 17, width, 14, pattern),
                width + 6,
                y + 29,
                bar.text,
            )
        )
    body = format_html_join("", "{}", ((part,) for part in parts))
    return _svg(chart_id, title, desc, top + row * max(len(bars), 1) + 4, body)


@dataclass(frozen=True)
class Interval:
    label: str
    rate: float | None  # 0..1
    low: float | None
    high: float | None
    estimate: float | None
    text: str


def interval_chart(*, chart_id: str, title: str, desc: str, rows: Sequence[Interval]) -> SafeString:
    """A dot per rate with its 95% interval as a line, and the ranking's estimate as a diamond."""
    row, top, scale_top = 40, 40, 34
    left, right = 4, WIDTH - 6
    span = right - left

    def x(value: float) -> float:
        return left + span * value

    parts = [
        mark_safe(
            '<circle cx="8" cy="9" r="4.5" class="chart-solid chart-edge"/>'
            '<text x="16" y="13" class="chart-axis">raw success rate</text>'
            '<line x1="118" y1="9" x2="138" y2="9" class="chart-ink" stroke-width="2"/>'
            '<text x="142" y="13" class="chart-axis">95% interval</text>'
            '<path d="M222 4l5 5l-5 5l-5 -5z" class="chart-light chart-edge"/>'
            '<text x="231" y="13" class="chart-axis">ranking\'s estimate</text>'
        ),
        _html(
            '<text x="{}" y="{}" class="chart-axis">0%</text>'
            '<text x="{}" y="{}" class="chart-axis" text-anchor="middle">50%</text>'
            '<text x="{}" y="{}" class="chart-axis" text-anchor="end">100%</text>',
            x(0),
            scale_top,
            x(0.5),
            scale_top,
            x(1),
            scale_top,
        ),
    ]
    for i, item in enumerate(rows):
        y = top + i * row
        mid = y + 26
        parts.append(
            _html(
                '<text x="0" y="{}" class="chart-label">{} · {}</text>'
                '<line x1="{}" y1="{}" x2="{}" y2="{}" class="chart-grid"/>',
                y + 12,
                _short(item.label, 34),
                item.text,
                x(0),
                mid,
                x(1),
                mid,
            )
        )
        if item.rate is not None and item.low is not None and item.high is not None:
            parts.append(
                _html(
                    '<line x1="{}" y1="{}" x2="{}" y2="{}" class="chart-ink"'
                    ' stroke-width="2"/>'
                    '<line x1="{}" y1="{}" x2="{}" y2="{}" class="chart-ink"'
                    ' stroke-width="2"/>'
                    '<line x1="{}" y1="{}" x2="{}" y2="{}" class="chart-ink"'
                    ' stroke-width="2"/>'
                    '<circle cx="{}" cy="{}" r="4.5" class="chart-solid chart-edge"/>',
                    x(item.low),
                    mid,
                    x(item.high),
                    mid,
                    x(item.low),
                    mid - 5,
                    x(item.low),
                    mid + 5,
                    x(item.high),
                    mid - 5,
                    x(item.high),
                    mid + 5,
                    x(item.rate),
                    mid,
                )
            )
        if item.estimate is not None:
            cx = x(item.estimate)
            parts.append(
                _html(
                    '<path d="M{} {}l5 5l-5 5l-5 -5z" class="chart-light chart-edge"/>',
                    cx,
                    mid - 5,
                )
            )
    body = format_html_join("", "{}", ((part,) for part in parts))
    return _svg(chart_id, title, desc, top + row * max(len(rows), 1) + 4, body)


@dataclass(frozen=True)
class Day:
    label: str  # e.g. "12-03"
    count: int
    rate: float | None  # 0..1, None when no diagnosis that day


def trend_chart(*, chart_id: str, title: str, desc: str, days: Sequence[Day]) -> SafeString:
    """Daily diagnoses as hatched columns, the resolution rate as a line of square markers."""
    top, plot_h, bottom = 16, 120, 34
    left, right = 4, WIDTH - 4
    n = max(len(days), 1)
    step = (right - left) / n
    most = max((day.count for day in days), default=0) or 1
    parts = [
        _html(
            '<text x="{}" y="11" class="chart-axis">Diagnoses per day (columns, up to {})</text>'
            '<line x1="{}" y1="{}" x2="{}" y2="{}" class="chart-grid"/>',
            left,
            most,
            left,
            top + plot_h,
            right,
            top + plot_h,
        )
    ]
    points = []
    for i, day in enumerate(days):
        h = plot_h * day.count / most
        x = left + i * step
        if day.count:
            parts.append(_rect(chart_id, x + step * 0.15, top + plot_h - h, step * 0.7, h, "hatch"))
        if day.rate is not None:
            points.append((x + step / 2, top + plot_h * (1 - day.rate)))
    if len(points) > 1:
        path = " ".join(
            f"{'M' if i == 0 else 'L'}{px:.1f} {py:.1f}" for i, (px, py) in enumerate(points)
        )
        parts.append(_html('<path d="{}" class="chart-line" fill="none"/>', path))
    for px, py in points:
        parts.append(
            _html(
                '<rect x="{}" y="{}" width="5" height="5" class="chart-solid"/>',
                px - 2.5,
                py - 2.5,
            )
        )
    if days:
        base = top + plot_h + 14
        parts.append(
            _html(
                '<text x="{}" y="{}" class="chart-axis">{}</text>'
                '<text x="{}" y="{}" class="chart-axis" text-anchor="end">{}</text>'
                '<text x="{}" y="{}" class="chart-axis">Squares and line: resolution rate,'
                " 0% (bottom) to 100% (top)</text>",
                left,
                base,
                days[0].label,
                right,
                base,
                days[-1].label,
                left,
                base + 14,
            )
        )
    body = format_html_join("", "{}", ((part,) for part in parts))
    return _svg(chart_id, title, desc, top + plot_h + bottom, body)
