"""The PDF of a released report and its charts (``reports.rendering.pdf`` and ``.charts``)."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader
from weasyprint import HTML

from reports import disclosure
from reports.rendering.charts import grounds_chart_svg, trend_chart_svg
from reports.rendering.pdf import DataOnlyFetcher, report_html, report_pdf
from reports.rendering.tables import form_tables
from tests.reports.rendering.test_tables import LEGEND_NL, assen_report
from tests.reports.rendering.year import expected_assen_exact, expected_assen_protected

TREND = [(2018, None), (2019, 9), (2020, 3)]


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def chart_exact() -> dict:
    """20 resident complaints about their own municipality: race 10 (labour market), religion 9
    and sexual orientation 1 (neighbourhood): the sexual-orientation row is hidden (1) and the
    religion row (9) with it, so that the 1 cannot be worked out from the total."""
    from tests.reports.test_disclosure import HERE, Complaint, count

    return count([Complaint(HERE, ("race",), "labour_market")] * 10
                 + [Complaint(HERE, ("religion",), "neighbourhood")] * 9
                 + [Complaint(HERE, ("sexual_orientation",), "neighbourhood")])


def chart_data() -> dict:
    return disclosure.protect(chart_exact(), threshold=5)


def chart_report():
    return assen_report(exact_data={"tables": chart_exact()}, protected_data=chart_data())


def svg_texts(svg: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", text).strip()
            for text in re.findall(r"<text\b.*?</text>", svg, flags=re.DOTALL)]


def test_the_chart_never_states_a_figure_the_table_does_not():
    data = chart_data()
    ground = next(t for t in form_tables(data=data) if t.key == "ground")
    printed = {row.label: disclosure.display_value(row.values[-1]) for row in ground.rows
               if row.code != "total"}
    hidden = [label for label, shown in printed.items() if shown == "x"]
    assert hidden == ["Seksuele gerichtheid", "Godsdienst"]  # the 1 and its complement (9)

    texts = svg_texts(grounds_chart_svg(data=data, threshold=5))

    # the labels of the bars, in order, are followed by the values, bottom to top
    values = [t for t in texts if t and (t.isdigit() or t == "x")]
    labels = [label for label in printed]
    bar_values = values[-len(labels):]
    assert dict(zip(labels, bar_values, strict=True)) == printed
    assert not any(t.startswith("<") for t in texts)


def test_a_chart_whose_bars_are_all_hidden_is_left_out():
    assert grounds_chart_svg(data=expected_assen_protected(), threshold=5) == ""
    html = report_html(report=assen_report(), trend=TREND)
    assert html.count("<svg") == 1  # the trend only


def test_one_mark_in_the_pdf_with_its_chart():
    text = " ".join(pdf_text(report_pdf(report=chart_report(), trend=TREND)).split())

    assert "Seksuele gerichtheid x 0 x 0 x" in text
    assert "Godsdienst x 0 x 0 x" in text  # 9, hidden to protect the 1: no "<5"
    assert "<5" not in text
    assert LEGEND_NL in text


def test_pdf_has_the_legal_form_with_hidden_cells():
    fetcher = DataOnlyFetcher()
    data = report_pdf(report=assen_report(), trend=TREND, fetcher=fetcher)

    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    for label in ("Meldpunt Discriminatie Drenthe", "Assen (GM0106)", "2020",
                  "1. Totaal aantal klachten", "2. Discriminatiegrond",
                  "3. Maatschappelijk terrein", "4. Aard", "5. Klachtbehandeling",
                  "Ras (herkomst/huidskleur)", "Arbeidsmarkt", "Omstreden behandeling",
                  "Registratie", "Totaal", "Klacht van ingezetene", "subtotaal"):
        assert label in text, label
    assert re.search(r"Klacht van\s+niet-\s*ingezetene\s+over voorval\s+in de\s+gemeente",
                     text)
    # one mark for every hidden cell: table 1's columns (1, 1, 2, 1), the race row (1, 1, 2,
    # 0, 2: small counts and a zero alike), the row whose non-resident part is hidden
    assert "Totaal x x x x 3" in text
    assert "Ras (herkomst/huidskleur) x x x x x" in text
    assert "Leeftijd 0 0 0 x x" in text
    assert "<5" not in text and "<" not in text
    assert LEGEND_NL in " ".join(text.split())
    # every bar of the grounds chart is hidden: no chart, one line why
    assert ("Geen grafiek van de discriminatiegronden: elk cijfer erin is verborgen om de "
            "betrokkenen te beschermen.") in " ".join(text.split())
    assert fetcher.refused == []


def test_html_is_self_contained():
    html = report_html(report=chart_report(), trend=TREND)

    assert html.count("<svg") == 2
    assert re.findall(r'(?:src|href)="(?!#)[^"]*"', html) == []
    assert "<link" not in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "").replace(
        'xmlns:xlink="http://www.w3.org/1999/xlink"', "")


def test_the_fetcher_refuses_everything_but_data_urls():
    fetcher = DataOnlyFetcher()
    html = ('<p>x</p><img src="http://example.invalid/a.png">'
            '<img src="file:///etc/hostname"><link rel="stylesheet" href="https://cdn.invalid/x.css">'
            '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">')

    HTML(string=html, base_url=None, url_fetcher=fetcher).write_pdf()

    assert sorted(fetcher.refused) == ["file:///etc/hostname", "http://example.invalid/a.png",
                                       "https://cdn.invalid/x.css"]


@pytest.mark.parametrize("chart", ["grounds", "trend"])
def test_charts_are_inline_svg_without_references(chart):
    svg = (grounds_chart_svg(data=chart_data(), threshold=5) if chart == "grounds"
           else trend_chart_svg(totals=TREND))

    assert svg.startswith("<svg")
    assert svg.endswith("</svg>")
    assert " style=" not in svg
    assert all(ref.startswith(f"#{chart}-") for ref in re.findall(r'href="([^"]*)"', svg))
    assert all(identifier.startswith(f"{chart}-")
               for identifier in re.findall(r'\sid="([^"]*)"', svg))
    # Deterministic: the same input draws the same SVG.
    again = (grounds_chart_svg(data=chart_data(), threshold=5)
             if chart == "grounds" else trend_chart_svg(totals=TREND))
    assert again == svg


def test_the_office_summary_says_why_complaints_exceed_cases():
    """Issue 10 §4: the summary counts a complaint on the residence's and on the incident
    municipality's form; it says so with both numbers (hand-made year: 4 on the forms, 3 cases)."""
    exact = expected_assen_exact()
    exact["tables"]["total"]["total"]["total"] = 4
    summary = assen_report(municipality=None, scope="office",
                           exact_data={**exact, "cases": 3})

    html = report_html(report=summary, trend=TREND)

    assert ("Dit overzicht telt de formulieren van de gemeenten op: 4 klachten, uit 3 zaken. "
            "Een klacht telt mee op het formulier van de woongemeente van de melder en op dat "
            "van de gemeente waar het voorval plaatsvond, dus 1 klacht is hier dubbel "
            "geteld.") in " ".join(html.split())
    # A municipality's report, and a summary released before cases were kept, say nothing.
    assert "dubbel geteld" not in report_html(report=assen_report(), trend=TREND)
    older = assen_report(municipality=None, scope="office", exact_data=expected_assen_exact())
    assert "dubbel geteld" not in report_html(report=older, trend=TREND)
