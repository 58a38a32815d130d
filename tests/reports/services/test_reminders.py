"""The daily reminder digest and the reminder periods (issue 12 §3)."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from reports.models import OutboundEmail
from reports.services.reminders import (
    REMINDER_DIGEST,
    send_reminder_digests,
    update_reminder_periods,
)
from reports.vocabulary import Status
from tests.reports.selectors.test_reminders import TODAY, case, local

pytestmark = pytest.mark.django_db


@pytest.fixture
def overdue(office, caseworker, other_caseworker, settings):
    settings.SITE_URL = "https://meldpunt.example.invalid"
    office.reminder_in_progress_days = 3
    office.save()
    mine = [case(status=Status.IN_PROGRESS, assignee=caseworker, changed_at=local(4, 1)),
            case(status=Status.NEW, assignee=caseworker, first_response=False,
                 due=datetime.date(2026, 4, 29), received_at=local(4, 22))]
    theirs = case(status=Status.IN_PROGRESS, assignee=other_caseworker, changed_at=local(4, 2))
    return mine, theirs


def test_one_digest_per_user_per_day_however_often_it_runs(overdue, caseworker,
                                                           other_caseworker,
                                                           django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        assert send_reminder_digests(today=TODAY) == 2
        assert send_reminder_digests(today=TODAY) == 0

    emails = OutboundEmail.objects.filter(kind=REMINDER_DIGEST)
    assert sorted(e.recipient for e in emails) == sorted([caseworker.email,
                                                         other_caseworker.email])
    # The next working day is a new digest.
    assert send_reminder_digests(today=datetime.date(2026, 5, 1)) == 2
    assert OutboundEmail.objects.filter(kind=REMINDER_DIGEST).count() == 4


def test_the_digest_lists_numbers_statuses_days_and_links_only(overdue, caseworker):
    (in_progress, new), _theirs = overdue
    send_reminder_digests(today=TODAY)

    [email] = [e for e in OutboundEmail.objects.filter(kind=REMINDER_DIGEST)
               if e.recipient == caseworker.email]
    assert email.subject == "2 zaken over tijd"
    site = "https://meldpunt.example.invalid/backoffice/zaken"
    # 1 to 30 April 2026: 21 weekdays after the 1st, less Good Friday (holidays.NL), Easter
    # Monday and King's Day = 18 working days.
    assert email.body == (
        "Deze zaken van jou vragen aandacht (werkdagen in de huidige status):\n\n"
        f"{in_progress.case_number} – In behandeling, 18 werkdagen\n"
        f"  {site}/{in_progress.public_id}/\n"
        f"{new.case_number} – Nieuw, 5 werkdagen – eerste reactie te laat\n"
        f"  {site}/{new.public_id}/\n\n"
        "Open de zaken in de backoffice (inloggen nodig).\n")
    for complaint in (in_progress, new):
        assert complaint.description not in email.body
        assert complaint.description not in email.subject


def test_nothing_on_a_weekend_or_public_holiday(overdue):
    assert send_reminder_digests(today=datetime.date(2026, 5, 2)) == 0  # Saturday
    assert send_reminder_digests(today=datetime.date(2026, 4, 27)) == 0  # King's Day
    assert not OutboundEmail.objects.filter(kind=REMINDER_DIGEST).exists()


def test_a_user_without_an_e_mail_address_is_skipped(overdue, caseworker):
    caseworker.email = ""
    caseworker.save()
    assert send_reminder_digests(today=TODAY) == 1


def test_coordinator_sets_the_periods(office, coordinator):
    update_reminder_periods(office=office, actor=coordinator, in_progress_days=7,
                            awaiting_reporter_days=12)
    office.refresh_from_db()
    assert (office.reminder_in_progress_days, office.reminder_awaiting_reporter_days) == (7, 12)


def test_a_caseworker_may_not_set_the_periods(office, caseworker):
    with pytest.raises(PermissionDenied):
        update_reminder_periods(office=office, actor=caseworker, in_progress_days=7,
                                awaiting_reporter_days=12)


@pytest.mark.parametrize("days", [0, 251, -3])
def test_periods_out_of_range_are_refused(office, coordinator, days):
    with pytest.raises(ValidationError) as error:
        update_reminder_periods(office=office, actor=coordinator, in_progress_days=days,
                                awaiting_reporter_days=10)
    assert list(error.value.message_dict) == ["reminder_in_progress_days"]
    office.refresh_from_db()
    assert office.reminder_in_progress_days == 10


def test_the_beat_task_takes_no_arguments_and_queues_each_digest_once(
        overdue, monkeypatch, django_capture_on_commit_callbacks):
    from reports import tasks
    from reports.services import reminders

    monkeypatch.setattr(reminders, "local_today", lambda: TODAY)
    with django_capture_on_commit_callbacks():
        assert tasks.send_reminder_digests.apply().get() == 2
        assert tasks.send_reminder_digests.apply().get() == 0
    assert OutboundEmail.objects.filter(kind=REMINDER_DIGEST).count() == 2
