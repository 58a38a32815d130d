"""Small things users tripped over (issue 12 §5): one date format per language, the receipt
code on a phone, the report form's anonymity and error summary, the portal's log-out button."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings

from reports.services.complaints import assign_complaint
from tests.factories import AMSTERDAM, ComplaintFactory
from tests.reports.views.helpers import by_testid, parse

pytestmark = pytest.mark.django_db

NL = {"HTTP_ACCEPT_LANGUAGE": "nl"}


@pytest.mark.parametrize(("language", "expected"), [
    ("nl", "05-06-2020 09:07"), ("en", "05/06/2020 09:07"), ("ar", "05/06/2020 09:07"),
    ("tr", "05.06.2020 09:07")])
def test_one_date_format_per_language(login_as, coordinator, language, expected):
    case = ComplaintFactory(received_at=datetime.datetime(2020, 6, 5, 9, 7, tzinfo=AMSTERDAM))
    assign_complaint(complaint=case, actor=coordinator, assignee=coordinator)
    client = login_as(coordinator)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    listed = by_testid(client.get("/backoffice/").content, "case-row")
    page = client.get(f"/backoffice/zaken/{case.public_id}/").content.decode()

    assert [expected in row for row in listed] == [True]
    assert expected in page


def test_receipt_code_does_not_break_and_has_copy_and_print(client, office):
    client.post("/melden/", {"description": "Synthetische melding."}, **NL)

    page = client.get("/melden/bedankt/", **NL)

    [code] = [attrs for tag, attrs in parse(page.content).tags
              if attrs.get("data-testid") == "receipt-code"]
    assert code["dir"] == "ltr" and "text-nowrap" in code["class"]
    buttons = {"data-copy-receipt" in attrs: attrs for tag, attrs
               in parse(page.content).tags if tag == "button"}
    assert set(buttons) == {True, False}  # copy and print, shown by receipt.js when possible
    assert all("hidden" in attrs for attrs in buttons.values())
    assert 'src="/static/js/receipt.js"' in page.content.decode()


def test_anonymous_hides_identity_fields_by_css(client, office):
    page = client.get("/melden/", **NL)

    [wrapper] = by_testid(page.content, "identity-fields")
    names = [n for f in parse(page.content).forms for n in f["names"]]
    assert {"reporter_name", "reporter_email", "reporter_phone"} <= set(names)
    css = (settings.BASE_DIR / "meldpunt" / "static" / "css" / "meldpunt.css").read_text()
    assert ('form:has(input[name="anonymity"][value="anonymous"]:checked) '
            '.identity-fields:not(:has(.is-invalid))') in css
    assert wrapper == " ".join(wrapper.split())


def test_error_summary_links_each_field(client, office):
    response = client.post("/melden/", {"description": "", "reporter_email": "geen-adres",
                                        "anonymity": "named"}, **NL)

    assert response.status_code == 400
    links = [attrs["href"] for tag, attrs in parse(response.content).tags
             if tag == "a" and attrs.get("class") == "alert-link"]
    assert links == ["#id_description", "#id_reporter_email"]
    [summary] = by_testid(response.content, "error-summary")
    assert "Wat is er gebeurd?" in summary or "description" not in summary


def test_portal_button_says_log_out(client, office):
    from reports.services.complaints import submit_online_complaint

    submission = submit_online_complaint(office=office, description="Synthetisch.",
                                         language="nl")
    client.post("/melden/opvolgen/", {"code": submission.receipt_code})

    page = client.get("/melden/opvolgen/melding/", **NL)

    [button] = [text for text in by_testid(page.content, "close-form")]
    assert "Uitloggen" in button
    assert "Sluit mijn melding" not in page.content.decode()


def test_case_page_prints_without_forms(login_as, coordinator):
    case = ComplaintFactory()

    page = login_as(coordinator).get(f"/backoffice/zaken/{case.public_id}/", **NL)

    tags = parse(page.content).tags
    [actions] = [a for t, a in tags if a.get("data-testid") == "case-actions"]
    assert "d-print-none" in actions["class"]
    assert [t for t, a in tags if "data-print-page" in a] == ["button"]
    css = (settings.BASE_DIR / "meldpunt" / "static" / "css" / "meldpunt.css").read_text()
    assert "@media print" in css and ".case-main" in css
