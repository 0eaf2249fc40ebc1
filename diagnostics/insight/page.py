"""The dashboard screen: its figures and the charts drawn from them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.template.defaultfilters import floatformat
from django.utils.dates import MONTHS_3, WEEKDAYS_ABBR
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from diagnostics.insight import charts
from diagnostics.insight.dashboard import Dashboard, Filters, dashboard

MAX_CHART_ROWS = 12  # the rest are in the tables


@dataclass(frozen=True)
class DashboardPage:
    figures: Dashboard
    outcomes_chart: SafeString
    fixes_chart: SafeString
    funnel_chart: SafeString
    trend_chart: SafeString
    trend_rows: SafeString  # the trend table's rows, newest day first


def _percent(value: float | None) -> str:
    return "no data" if value is None else f"{value:.0f}%"


def dashboard_page(*, filters: Filters, now: datetime | None = None) -> DashboardPage:
    """The dashboard's figures for ``filters``, with an SVG chart for each table."""
    figures = dashboard(filters=filters, now=now)
    outcomes = charts.bar_chart(
        chart_id="chart-outcomes",
        title="How diagnoses ended",
        desc=f"{figures.started} diagnoses started; the table below gives each count.",
        bars=[
            charts.Bar(
                label=row.label,
                value=row.count,
                text=f"{row.count} ({_percent(row.share.percent)})",
            )
            for row in figures.outcomes
        ],
    )
    fixes = charts.interval_chart(
        chart_id="chart-fixes",
        title="Success rate of each fix, with its 95% interval",
        desc="A dot for the raw success rate, a line for its 95% Wilson interval and a"
        " diamond for the ranking's order-corrected estimate; the table below has the numbers.",
        rows=[
            charts.Interval(
                label=row.title,
                rate=row.success.part / row.success.n if row.success.n else None,
                low=row.success.interval.low if row.success.interval else None,
                high=row.success.interval.high if row.success.interval else None,
                estimate=row.estimate,
                text=f"{row.fixed} of {row.tried}",
            )
            for row in figures.fixes[:MAX_CHART_ROWS]
        ],
    )
    funnel = charts.bar_chart(
        chart_id="chart-funnel",
        title="Steps by how many diagnoses saw them, and who left there",
        desc="One bar per step, as long as its views; the table below gives views, exits"
        " and exit rates.",
        bars=[
            charts.Bar(
                label=row.label,
                value=row.views,
                text=f"{row.views} seen, {row.exits} left",
            )
            for row in figures.steps[:MAX_CHART_ROWS]
        ],
        patterned=False,
    )
    trend = charts.trend_chart(
        chart_id="chart-trend",
        title="Diagnoses and resolution rate per day",
        desc="Columns for the diagnoses started each day, a line for the share resolved;"
        " the table below gives each day.",
        days=[
            charts.Day(
                label=row.day.strftime("%b %d"),
                count=row.started,
                rate=row.rate.part / row.rate.n if row.rate.n else None,
            )
            for row in figures.trend
        ],
    )
    return DashboardPage(
        trend_rows=_trend_rows(figures),
        figures=figures,
        outcomes_chart=outcomes,
        fixes_chart=fixes,
        funnel_chart=funnel,
        trend_chart=trend,
    )


def _trend_rows(figures: Dashboard) -> SafeString:
    """The trend table's rows, as the template's ``date:"D j M"`` and ``floatformat:0``
    would write them: a year is 366 rows, too many to render in the template language
    within the page's time budget."""
    weekdays = [str(WEEKDAYS_ABBR[i]) for i in range(7)]
    months = {m: str(MONTHS_3[m]).title() for m in range(1, 13)}
    return format_html_join(
        "",
        '<tr><th scope="row">{} {} {}</th><td>{}</td><td>{}</td><td>{}</td></tr>',
        (
            (
                weekdays[row.day.weekday()],
                row.day.day,
                months[row.day.month],
                row.started,
                row.resolved,
                f"{floatformat(row.rate.percent, 0)}%" if row.rate.n else "-",
            )
            for row in reversed(figures.trend)
        ),
    )
