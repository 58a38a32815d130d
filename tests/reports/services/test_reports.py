"""Releasing the annual reports: protection, audit, versions, e-mails, the schedule and
municipal accounts (``reports.services.reports``)."""

from __future__ import annotations

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.utils import translation

from reports import disclosure
from reports.models import (
    AnnualReport,
    AnnualSnapshot,
    Municipality,
    OutboundEmail,
    StatisticsRun,
)
from reports.selectors.reports import (
    accounts_of_municipality,
    municipalities_of_account,
    trend_totals,
)
from reports.services.outbox import recipient_key
from reports.services.reports import (
    link_municipal_account,
    protected_form_documents,
    release_annual_reports,
    run_scheduled_slot,
    scheduled_slot,
    unlink_municipal_account,
)
from tests.factories import ComplaintFactory, UserFactory
from tests.reports.rendering.year import (
    expected_assen_exact,
    expected_assen_protected,
    hand_made_year,
)

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
DRENTHE_BY_NAME = ["GM1680", "GM0106", "GM1681", "GM0109", "GM1690", "GM0114", "GM0118",
                   "GM0119", "GM1731", "GM1699", "GM1730", "GM1701"]


@pytest.fixture(autouse=True)
def english(settings):
    """Messages and e-mails in English (the msgids), whatever the catalogue holds."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def year_2020(office):
    hand_made_year()


@pytest.fixture
def municipal_user(reference_data):
    from reports.models import Municipality

    user = UserFactory(username="assen-gemeente", email="statistiek@assen.example")
    link_municipal_account(user=user, municipality=Municipality.objects.get(code="GM0106"))
    return user


def scopes(reports: list[AnnualReport]) -> list[tuple[str, int]]:
    return [(report.scope, report.version) for report in reports]


def test_release_protects_every_municipality_and_the_office_summary(year_2020, office,
                                                                     coordinator):
    released = release_annual_reports(office=office, year=2020, actor=coordinator)

    assert scopes(released) == [("office", 1)] + [(code, 1) for code in DRENTHE_BY_NAME]
    run = StatisticsRun.objects.get()  # counted first: no forms were stored
    assert (run.year, run.state, run.requested_by, run.progress, run.progress_total) == (
        2020, "succeeded", coordinator, 12, 12)
    assen = AnnualReport.objects.get(scope="GM0106")
    assert (assen.municipality_id, assen.version, assen.run, assen.released_by,
            assen.threshold, assen.changes) == ("GM0106", 1, run, coordinator, 5, [])
    assert assen.exact_data == expected_assen_exact()
    assert assen.protected_data == expected_assen_protected()
    summary = AnnualReport.objects.get(scope="office")
    assert summary.municipality is None
    assert summary.exact_data == {"tables": disclosure.sum_forms(
        [s.data["tables"] for s in AnnualSnapshot.objects.all()]), "cases": 3,
        "mass_reports": 0, "mass_incidents": 0}
    # 3 complaints counted, 4 on the forms: Assen's resident's complaint about Emmen is on both.
    assert summary.exact_data["tables"]["total"]["total"]["total"] == 4
    # exact 1, 1, 2, 2, 4: only the grand total is exempt, the small columns are hidden
    assert summary.protected_data["tables"]["total"] == {"total": {
        "resident_here": None, "resident_elsewhere": None, "resident_total": None,
        "non_resident_here": None, "total": 4}}


def test_release_is_idempotent(year_2020, office):
    release_annual_reports(office=office, year=2020)

    assert release_annual_reports(office=office, year=2020) == []
    assert AnnualReport.objects.count() == 13
    assert StatisticsRun.objects.count() == 1


def test_a_late_correction_makes_a_new_version_of_the_changed_scopes_only(year_2020, office,
                                                                         coordinator):
    first = release_annual_reports(office=office, year=2020)
    emmen_v1 = AnnualReport.objects.get(scope="GM0114")
    # A late registration for 2020: an Emmen resident about Emmen; counted again, released.
    ComplaintFactory(reporter_residence="GM0114", incident_municipality="GM0114",
                     grounds=["age"], societal_domain="education", nature="violence")
    run = StatisticsRun.objects.create(office=office, year=2020)
    from reports.services.statistics import execute_statistics_run

    execute_statistics_run(run_id=run.pk)

    second = release_annual_reports(office=office, year=2020, actor=coordinator, run=run)

    assert len(first) == 13
    assert scopes(second) == [("office", 2), ("GM0114", 2)]
    emmen_v2 = AnnualReport.objects.get(scope="GM0114", version=2)
    assert (emmen_v2.run, emmen_v2.released_by) == (run, coordinator)
    # one complaint, then two: only the grand total is published, and resident_elsewhere (0)
    # while the resident part is known to be 0 (it cannot hide anything then)
    assert emmen_v1.protected_data["tables"]["total"]["total"] == {
        "resident_here": None, "resident_elsewhere": 0, "resident_total": None,
        "non_resident_here": None, "total": 1}
    assert emmen_v2.protected_data["tables"]["total"]["total"] == {
        "resident_here": None, "resident_elsewhere": None, "resident_total": None,
        "non_resident_here": None, "total": 2}
    changed_totals = [
        {"table": table, "row": "total", "column": column, "before": before, "after": after}
        for table in ("total", "societal_domain", "nature") for column, before, after in (
            ("resident_elsewhere", 0, None), ("total", 1, 2))]
    assert [c for c in emmen_v2.changes if c["row"] == "total"
            and c["table"] in ("total", "societal_domain", "nature")] == changed_totals
    # Every listed change is a real difference of published cells between the two versions.
    for change in emmen_v2.changes:
        assert emmen_v1.protected_data["tables"][change["table"]][change["row"]][
            change["column"]] == change["before"]
        assert emmen_v2.protected_data["tables"][change["table"]][change["row"]][
            change["column"]] == change["after"]
        assert change["before"] != change["after"]
    # Released versions are immutable.
    emmen_v1.changes = ["edited"]
    with pytest.raises(Exception, match="append-only|cannot be changed|immutable"):
        emmen_v1.save()


def test_a_failed_audit_releases_nothing(year_2020, office, municipal_user, monkeypatch):
    def failing_audit(protected, *, exact=None, threshold):
        failure = disclosure.AuditFailure(table="ground", row="race", column="total",
                                          low=1.0, high=1.0, required=4.0)
        return disclosure.AuditResult(failures=[failure], checked=1)

    monkeypatch.setattr(disclosure, "audit", failing_audit)

    with pytest.raises(ValidationError) as raised:
        release_annual_reports(office=office, year=2020)

    assert raised.value.code == "audit_failed"
    names = dict(Municipality.objects.filter(code__in=DRENTHE_BY_NAME)
                 .values_list("code", "name"))
    cell = "cell 2. Discriminatiegrond / Ras (herkomst/huidskleur) / total"
    assert raised.value.messages == [
        "The disclosure audit failed for "
        + "; ".join([f"{office.name} (office): {cell}",
                     *(f"{names[code]} ({code}): {cell}" for code in DRENTHE_BY_NAME)])
        + "; nothing was released."]
    assert AnnualReport.objects.count() == 0
    assert OutboundEmail.objects.count() == 0


def test_one_failing_scope_names_that_scope_and_releases_nothing(year_2020, office,
                                                                 monkeypatch):
    real_audit = disclosure.audit

    def audit(protected, *, exact=None, threshold):
        result = real_audit(protected, exact=exact, threshold=threshold)
        if protected["tables"]["total"]["total"]["total"] == 1:  # Emmen
            result.failures.append(disclosure.AuditFailure(
                table="ground", row="race", column="total", low=1.0, high=1.0))
        return result

    monkeypatch.setattr(disclosure, "audit", audit)

    with pytest.raises(ValidationError) as raised:
        release_annual_reports(office=office, year=2020)
    assert raised.value.messages == [
        "The disclosure audit failed for Emmen (GM0114): cell 2. Discriminatiegrond / "
        "Ras (herkomst/huidskleur) / total; nothing was released."]
    assert AnnualReport.objects.count() == 0


def test_release_emails_the_linked_accounts_without_figures(
        year_2020, office, municipal_user, settings, django_capture_on_commit_callbacks):
    settings.SITE_URL = "https://meldpunt.example"
    other = UserFactory(username="emmen-gemeente", email="cijfers@emmen.example")
    from reports.models import Municipality

    link_municipal_account(user=other, municipality=Municipality.objects.get(code="GM0114"))
    UserFactory(username="unlinked", email="unlinked@example.invalid")

    with django_capture_on_commit_callbacks(execute=True):
        release_annual_reports(office=office, year=2020)

    assen = AnnualReport.objects.get(scope="GM0106")
    emmen = AnnualReport.objects.get(scope="GM0114")
    emails = sorted(OutboundEmail.objects.all(), key=lambda e: e.recipient)
    assert [(e.kind, e.recipient, e.dedup_key) for e in emails] == [
        ("annual_report_released", "cijfers@emmen.example",
         f"annual_report_released:report:{emmen.public_id}:"
         f"{recipient_key('cijfers@emmen.example')}"),
        ("annual_report_released", "statistiek@assen.example",
         f"annual_report_released:report:{assen.public_id}:"
         f"{recipient_key('statistiek@assen.example')}"),
    ]
    assen_email = emails[1]
    assert assen_email.subject == "Annual report 2020 of Assen available"
    assert assen_email.body == (
        "A new version of the annual discrimination complaints report of Assen for 2020 has "
        "been released by Meldpunt Discriminatie Drenthe.\n\n"
        "Log in to view and download it:\nhttps://meldpunt.example/gemeente/\n")
    # No figures: apart from the year, the body holds no digit at all.
    assert re.findall(r"\d+", assen_email.body) == ["2020"]
    assert assen_email.state == "sent"

    # Nothing changed: no new version, no new e-mail.
    with django_capture_on_commit_callbacks(execute=True):
        release_annual_reports(office=office, year=2020)
    assert OutboundEmail.objects.count() == 2


def test_release_refuses_forms_of_another_run(year_2020, office):
    release_annual_reports(office=office, year=2020)
    stale = StatisticsRun.objects.create(office=office, year=2020, state="succeeded")

    with pytest.raises(ValidationError) as raised:
        release_annual_reports(office=office, year=2020, run=stale)
    assert raised.value.code == "stale_run"


def test_protected_form_documents(year_2020, office):
    release_annual_reports(office=office, year=2020)  # counts the year

    documents = protected_form_documents(office=office, year=2020)

    assert list(documents) == DRENTHE_BY_NAME
    expected = expected_assen_protected()
    assert documents["GM0106"] == {
        "year": 2020, "office": "Meldpunt Discriminatie Drenthe",
        "municipality": {"code": "GM0106", "name": "Assen"}, "protected": True,
        "threshold": 5, "tables": expected["tables"],
        "suppressed": {t: rows for t, rows in expected["suppressed"].items() if rows},
    }


def test_trend_totals_use_reports_released_up_to_the_report(office):
    ComplaintFactory(reporter_residence="GM0106", incident_municipality="GM0106",
                     received_at=datetime.datetime(2019, 5, 1, 12, tzinfo=AMSTERDAM))
    release_annual_reports(office=office, year=2019)
    hand_made_year()
    release_annual_reports(office=office, year=2020)

    assen = AnnualReport.objects.get(scope="GM0106", year=2020)
    assert trend_totals(report=assen) == [(2018, None), (2019, 1), (2020, 3)]
    assert trend_totals(report=AnnualReport.objects.get(scope="GM0106", year=2019)) == [
        (2017, None), (2018, None), (2019, 1)]


# --- the schedule ---------------------------------------------------------------------------


@pytest.mark.parametrize(("now", "slot"), [
    (datetime.datetime(2021, 1, 15, 2, 0, 5, tzinfo=datetime.UTC),
     datetime.datetime(2021, 1, 15, 3, 0, tzinfo=AMSTERDAM)),
    # 23:30 UTC on 31 December is already the new year in Amsterdam.
    (datetime.datetime(2021, 12, 31, 23, 30, tzinfo=datetime.UTC),
     datetime.datetime(2022, 1, 15, 3, 0, tzinfo=AMSTERDAM)),
])
def test_scheduled_slot(now, slot):
    assert scheduled_slot(now=now) == slot
    assert scheduled_slot(now=now).utcoffset() == datetime.timedelta(hours=1)


def test_run_scheduled_slot_twice_makes_one_run_and_one_version_per_scope(year_2020, office):
    now = datetime.datetime(2021, 1, 15, 3, 0, 2, tzinfo=AMSTERDAM)

    first = run_scheduled_slot(now=now)
    second = run_scheduled_slot(now=now + datetime.timedelta(minutes=5))

    run = StatisticsRun.objects.get()
    assert (run.year, run.slot, run.state, run.requested_by) == (
        2020, datetime.datetime(2021, 1, 15, 3, 0, tzinfo=AMSTERDAM), "succeeded", None)
    assert first == (f"slot 2021-01-15T03:00:00+01:00: MDD 2020: run {run.pk}, "
                     "13 new versions")
    assert second == (f"slot 2021-01-15T03:00:00+01:00: MDD 2020: run {run.pk}, "
                      "0 new versions")
    assert sorted(AnnualReport.objects.values_list("scope", "version")) == sorted(
        [("office", 1)] + [(code, 1) for code in DRENTHE_BY_NAME])
    assert set(AnnualReport.objects.values_list("released_by", flat=True)) == {None}


def test_the_beat_task_calls_the_slot(year_2020, office):
    from reports.tasks import run_scheduled_annual_statistics

    result = run_scheduled_annual_statistics.delay().get()

    assert result.startswith("slot ")
    assert StatisticsRun.objects.filter(slot__isnull=False).count() == 1


# --- municipal accounts ---------------------------------------------------------------------


def test_link_and_unlink_a_municipal_account(reference_data):
    from reports.models import Municipality

    assen, emmen = (Municipality.objects.get(code=c) for c in ("GM0106", "GM0114"))
    user = UserFactory(username="gemeente", email="g@example.invalid")

    link_municipal_account(user=user, municipality=assen)
    link_municipal_account(user=user, municipality=emmen)
    link_municipal_account(user=user, municipality=assen)

    assert list(municipalities_of_account(user=user).order_by("code")) == [assen, emmen]
    assert list(user.groups.values_list("name", flat=True)) == ["municipality"]
    assert list(accounts_of_municipality(municipality=assen)) == [user]
    assert sorted(user.get_all_permissions()) == ["reports.view_municipality_reports"]

    unlink_municipal_account(user=user, municipality=assen)
    assert list(municipalities_of_account(user=user)) == [emmen]
    assert list(user.groups.values_list("name", flat=True)) == ["municipality"]
    unlink_municipal_account(user=user, municipality=emmen)
    assert list(municipalities_of_account(user=user)) == []
    assert list(user.groups.all()) == []


def test_back_office_staff_cannot_be_linked(caseworker, coordinator):
    from reports.models import Municipality

    assen = Municipality.objects.get(code="GM0106")
    for user in (caseworker, coordinator):
        with pytest.raises(ValidationError, match="back-office account"):
            link_municipal_account(user=user, municipality=assen)
    assert list(accounts_of_municipality(municipality=assen)) == []
    assert not Group.objects.get(name="municipality").user_set.exists()


# --- issue 10 §4: only changed forms are protected again, and never under the office lock ----


@pytest.mark.django_db(transaction=True)
def test_a_rerun_protects_only_changed_forms_and_never_under_the_lock(reference_data, office,
                                                                     monkeypatch):
    from django.db import connection

    from reports.services.reports import run_scheduled_slot

    hand_made_year()
    protected_scopes: list[tuple[int, bool]] = []
    original = disclosure.protect_and_audit

    def recording(form, **kwargs):
        protected_scopes.append((form["total"]["total"]["total"], connection.in_atomic_block))
        return original(form, **kwargs)

    monkeypatch.setattr(disclosure, "protect_and_audit", recording)
    slot = datetime.datetime(2021, 1, 15, 3, 0, 5, tzinfo=ZoneInfo("Europe/Amsterdam"))
    run_scheduled_slot(now=slot)
    assert len(protected_scopes) == 13
    assert not any(locked for _total, locked in protected_scopes)

    # A late complaint in Emmen: only Emmen's form and the office summary change.
    ComplaintFactory(reporter_residence="GM0114", incident_municipality="GM0114")
    protected_scopes.clear()
    run_scheduled_slot(now=slot + datetime.timedelta(minutes=10))  # the same slot, retried
    assert protected_scopes == []  # the slot's run is finished: nothing redone
    run = StatisticsRun.objects.create(office=office, year=2020)
    from reports.services.statistics import execute_statistics_run

    execute_statistics_run(run_id=run.pk)
    released = release_annual_reports(office=office, year=2020, run=run)

    assert sorted(total for total, _locked in protected_scopes) == [2, 5]  # Emmen, summary
    assert not any(locked for _total, locked in protected_scopes)
    assert [(r.scope, r.version) for r in released] == [("office", 2), ("GM0114", 2)]
    assert AnnualReport.objects.get(scope="office", version=2).exact_data["cases"] == 4


def test_the_preview_takes_a_constant_number_of_queries(year_2020, office,
                                                       django_assert_num_queries):
    """Stored forms, their newest run, the released versions (fingerprint) and the newest
    report per scope: four queries for 12 municipalities as for 342."""
    from reports.services.reports import plan_release

    release_annual_reports(office=office, year=2020)

    with django_assert_num_queries(4):
        plan = plan_release(office=office, year=2020)

    assert len(plan.scopes) == 13
    assert all(scope.reused for scope in plan.scopes)
