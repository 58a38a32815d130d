"""The released report as a PDF laid out like the legal form, rendered by WeasyPrint.

The HTML is self-contained (inline CSS, inline SVG charts) and the URL fetcher refuses every URL
that is not a ``data:`` URL, so rendering never makes a network or file request.
"""

from __future__ import annotations

import logging

from django.template.loader import render_to_string
from django.utils import timezone, translation
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetchingError

from reports import disclosure
from reports.models import AnnualReport
from reports.rendering.charts import grounds_chart_svg, trend_chart_svg
from reports.rendering.tables import (
    LEGAL_COLUMN_GROUPS,
    form_tables,
    hidden_legend,
    scope_name,
)

logger = logging.getLogger(__name__)


class DataOnlyFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that only serves ``data:`` URLs; it refuses everything else
    (http, https, file, …) and remembers what it refused in ``refused``."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=("data",))
        self.refused: list[str] = []

    def fetch(self, url: str, headers: dict | None = None):  # noqa: ANN201 - WeasyPrint's type
        if not url.lower().startswith("data:"):
            self.refused.append(url)
            logger.warning("PDF rendering refused to fetch %s", url[:100])
            raise URLFetchingError(f"refused: {url[:100]}")
        return super().fetch(url, headers)


def summary_counts(*, report: AnnualReport) -> dict[str, int | None]:
    """For the office summary: ``summary_complaints`` (table 1's total, the sum over the
    municipal forms), ``summary_cases`` (distinct complaints, kept since issue 10; ``None`` for
    older releases) and ``summary_twice`` (complaints on two forms: residence and incident)."""
    cases = report.exact_data.get("cases") if report.municipality_id is None else None
    complaints = report.exact_data["tables"]["total"]["total"]["total"]
    return {"summary_complaints": complaints, "summary_cases": cases,
            "summary_twice": complaints - cases if cases is not None else None}


def report_html(*, report: AnnualReport, trend: list[tuple[int, int | None]]) -> str:
    """The HTML the PDF is rendered from (Dutch: the legal form's language)."""
    display = disclosure.display_value
    data = report.protected_data
    tables = [
        {"title": table.title, "key": table.key,
         "rows": [{"label": row.label, "is_total": row.code == "total",
                   "cells": [display(value) for value in row.values]}
                  for row in table.rows]}
        for table in form_tables(data=data)
    ]
    with translation.override("nl"):
        return render_to_string("reports/annual_report_pdf.html", {
            "report": report, "scope_name": scope_name(report=report), "tables": tables,
            "column_groups": LEGAL_COLUMN_GROUPS,
            "released_at": timezone.localtime(report.released_at),
            "grounds_chart": grounds_chart_svg(data=data, threshold=report.threshold),
            "legend": hidden_legend(threshold=report.threshold),
            "trend_chart": trend_chart_svg(totals=trend),
            "is_office": report.municipality_id is None,
            **summary_counts(report=report),
        })


def report_pdf(*, report: AnnualReport, trend: list[tuple[int, int | None]],
               fetcher: DataOnlyFetcher | None = None) -> bytes:
    """The protected report as PDF bytes.

    Args:
        report: the released version.
        trend: ``[(year, total or None)]`` oldest first (``selectors.reports.trend_totals``).
        fetcher: the URL fetcher to use (a fresh ``DataOnlyFetcher`` by default).
    """
    html = report_html(report=report, trend=trend)
    return HTML(string=html, base_url=None,
                url_fetcher=fetcher or DataOnlyFetcher()).write_pdf()
