"""The GDPR art. 15 export and art. 17 erasure views: authorization, responses, audit rows."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.template.defaultfilters import date as date_filter
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from reports.models import AccessLog, Complaint, ComplaintHistory, Message
from reports.services.complaints import assign_complaint
from reports.vocabulary import Status
from tests.factories import CaseworkerFactory
from tests.reports.services.test_privacy import PDF, at, full_case
from tests.reports.views.helpers import by_testid, parse

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def case(office, coordinator, caseworker, settings, tmp_path):
    """An open case assigned to ``caseworker`` (who may see and handle it, but has neither
    privacy permission)."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    complaint, _code = full_case(actor=coordinator, name="Jansen", received_at=at(2024, 3, 2),
                                 closed_at=None, status=Status.NEW)
    return assign_complaint(complaint=complaint, actor=coordinator, assignee=caseworker)


def urls(complaint: Complaint) -> dict[str, str]:
    return {
        "export": reverse("backoffice:export_personal_data", args=[complaint.public_id]),
        "erase": reverse("backoffice:erase_personal_data", args=[complaint.public_id]),
        "detail": reverse("backoffice:complaint_detail", args=[complaint.public_id]),
    }


@pytest.mark.parametrize("name", ["export", "erase"])
def test_anonymous_users_go_to_the_login_page(case, name):
    url = urls(case)[name]
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/backoffice/login/?next={url}"
    assert AccessLog.objects.count() == 0


@pytest.mark.parametrize("name", ["export", "erase"])
def test_a_caseworker_who_sees_the_case_gets_403(case, caseworker, login_as, name):
    client = login_as(caseworker)
    assert client.get(urls(case)[name]).status_code == 403
    assert client.post(urls(case)["erase"], {"reason": "AVG-1", "confirm": "on"}
                       ).status_code == 403
    case.refresh_from_db()
    assert case.reporter_name == "Jansen"
    assert AccessLog.objects.filter(action__in=["subject_access", "erasure"]).count() == 0


@pytest.mark.parametrize("name", ["export", "erase"])
def test_a_user_who_may_not_see_the_case_gets_404(case, login_as, plain_user, name):
    other = CaseworkerFactory(username="other")
    assert login_as(other).get(urls(case)[name]).status_code == 404
    assert login_as(plain_user).get(urls(case)[name]).status_code == 404


def test_coordinator_downloads_the_export(case, coordinator, login_as):
    response = login_as(coordinator).get(urls(case)["export"])

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == (
        f'attachment; filename="personal-data-{case.case_number}.zip"')
    assert "no-store" in response["Cache-Control"]
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.read("attachments/1-Letter Jansen.pdf") == PDF
    entries = list(AccessLog.objects.filter(action=AccessLog.Action.SUBJECT_ACCESS))
    assert [(e.user, e.complaint, e.detail) for e in entries] == [
        (coordinator, case, {"messages": 2, "attachments": 1})]
    assert AccessLog.objects.count() == 1


def test_coordinator_confirms_and_erases(case, coordinator, login_as,
                                         django_capture_on_commit_callbacks):
    client = login_as(coordinator)
    page = client.get(urls(case)["erase"], **EN)
    assert page.status_code == 200
    forms = parse(page.content).forms
    assert [f["names"] for f in forms if f["attrs"].get("data-testid") == "erasure-form"] == [
        ["csrfmiddlewaretoken", "reason", "confirm"]]

    unconfirmed = client.post(urls(case)["erase"], {"reason": "AVG-2024-017"}, **EN)
    assert unconfirmed.status_code == 200
    assert unconfirmed.context["form"].errors == {"confirm": ["This field is required."]}
    case.refresh_from_db()
    assert case.reporter_name == "Jansen"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(urls(case)["erase"],
                               {"reason": "AVG-2024-017", "confirm": "on"}, **EN)

    assert response.status_code == 302
    assert response["Location"] == urls(case)["detail"]
    case.refresh_from_db()
    assert (case.reporter_name, case.description, case.personal_data_removal) == (
        "", "", "request")
    assert Message.objects.filter(complaint=case).count() == 0
    history = ComplaintHistory.objects.get(
        complaint=case, action=ComplaintHistory.Action.PERSONAL_DATA_REMOVED)
    assert (history.actor, history.reason) == (coordinator, "AVG-2024-017")
    assert list(AccessLog.objects.filter(action=AccessLog.Action.ERASURE)
                .values_list("user", "complaint")) == [(coordinator.pk, case.pk)]

    detail = client.get(urls(case)["detail"], **EN)
    assert [(m.level_tag, str(m.message)) for m in detail.context["messages"]] == [
        ("success", "The personal data of this case has been erased.")]
    with translation.override("en"):
        removed_on = date_filter(timezone.localtime(case.personal_data_removed_at),
                                 "DATE_FORMAT")
    assert by_testid(detail.content, "personal-data-removed") == [
        f"Personal data removed on {removed_on} (erasure request)."]
    assert by_testid(detail.content, "privacy-actions") == [
        "Personal data (GDPR) Download personal data"]

    again = client.get(urls(case)["erase"], **EN)
    assert again.status_code == 302
    assert AccessLog.objects.filter(action=AccessLog.Action.ERASURE).count() == 1


def test_detail_page_shows_the_actions_only_with_the_permissions(case, coordinator, caseworker,
                                                                 login_as):
    coordinator_page = login_as(coordinator).get(urls(case)["detail"], **EN)
    caseworker_page = login_as(caseworker).get(urls(case)["detail"], **EN)
    assert by_testid(coordinator_page.content, "privacy-actions") == [
        "Personal data (GDPR) Download personal data Erase personal data"]
    assert by_testid(caseworker_page.content, "privacy-actions") == []
    assert by_testid(coordinator_page.content, "personal-data-removed") == []
