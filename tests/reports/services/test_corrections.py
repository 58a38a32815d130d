"""Corrections of a case (issue 12 §2): the incident's place, date and channel with history
and optimistic locking; "online" apart from "unknown"; links between related cases."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from reports.models import CaseLink, Complaint, ComplaintHistory, Municipality
from reports.selectors.links import related_cases
from reports.selectors.timeline import case_timeline
from reports.services.complaints import (
    StaleCaseError,
    assign_complaint,
    place_of_incident,
    update_incident,
)
from reports.services.links import link_cases, unlink_cases
from reports.vocabulary import Channel, IncidentPlace
from tests.factories import ComplaintFactory

pytestmark = pytest.mark.django_db


def history(complaint: Complaint, action: str) -> list[tuple]:
    return list(ComplaintHistory.objects.filter(complaint=complaint, action=action)
                .values_list("actor__username", "from_value", "to_value"))


@pytest.mark.parametrize(("municipality", "place", "expected"), [
    (True, "", IncidentPlace.MUNICIPALITY), (True, "online", IncidentPlace.MUNICIPALITY),
    (False, "online", IncidentPlace.ONLINE), (False, "unknown", IncidentPlace.UNKNOWN),
    (False, "", IncidentPlace.UNKNOWN), (False, "municipality", IncidentPlace.UNKNOWN)])
def test_place_of_incident(reference_data, municipality, place, expected):
    assen = Municipality.objects.get(code="GM0106") if municipality else None

    assert place_of_incident(municipality=assen, place=place) == expected


def test_registration_records_the_place(reference_data):
    assert ComplaintFactory().incident_place == IncidentPlace.UNKNOWN
    assert ComplaintFactory(incident_place="online").incident_place == IncidentPlace.ONLINE
    assert ComplaintFactory(incident_municipality="GM0106").incident_place == "municipality"


def test_update_incident_changes_values_with_history(coordinator):
    case = ComplaintFactory(incident_date=datetime.date(2020, 6, 1))

    case = update_incident(complaint=case, actor=coordinator, expected_version=case.version,
                           incident_municipality=Municipality.objects.get(code="GM0106"),
                           incident_place=IncidentPlace.MUNICIPALITY,
                           incident_date=datetime.date(2020, 5, 31), channel=Channel.PHONE)

    case = Complaint.objects.get(pk=case.pk)
    assert (case.incident_place, case.incident_municipality.code, case.incident_date,
            case.channel, case.version) == ("municipality", "GM0106",
                                            datetime.date(2020, 5, 31), "phone", 2)
    assert history(case, "incident") == [
        ("coordinator1", "incident_place=unknown", "incident_place=municipality"),
        ("coordinator1", "incident_municipality=", "incident_municipality=Assen (GM0106)"),
        ("coordinator1", "incident_date=2020-06-01", "incident_date=2020-05-31"),
        ("coordinator1", "channel=online", "channel=phone")]
    with translation.override("en"):
        changes = [c for e in case_timeline(complaint=case)
                   if e.title == "Incident details changed" for c in e.changes]
        assert [(c.old, c.new) for c in changes] == [
            ("Not known (yet)", "In a municipality"), ("", "Assen (GM0106)"),
            ("2020-06-01", "2020-05-31"), ("Online form", "Phone")]


def test_online_clears_the_municipality(coordinator):
    case = ComplaintFactory(incident_municipality="GM0106")

    case = update_incident(complaint=case, actor=coordinator, incident_municipality=None,
                           incident_place=IncidentPlace.ONLINE, incident_date=None,
                           channel=Channel.ONLINE)

    assert (case.incident_place, case.incident_municipality) == ("online", None)


def test_nothing_changed_writes_nothing(coordinator):
    case = ComplaintFactory()

    update_incident(complaint=case, actor=coordinator, incident_municipality=None,
                    incident_place=IncidentPlace.UNKNOWN, incident_date=None,
                    channel=Channel.ONLINE)

    assert Complaint.objects.get(pk=case.pk).version == 1
    assert history(case, "incident") == []


def test_stale_version_refused(coordinator):
    case = ComplaintFactory()

    with pytest.raises(StaleCaseError):
        update_incident(complaint=case, actor=coordinator, expected_version=0,
                        incident_municipality=None, incident_place=IncidentPlace.ONLINE,
                        incident_date=None, channel=Channel.ONLINE)

    assert Complaint.objects.get(pk=case.pk).incident_place == IncidentPlace.UNKNOWN


@pytest.mark.parametrize(("place", "day", "channel"), [
    ("somewhere", None, Channel.ONLINE), ("unknown", "future", Channel.ONLINE),
    ("unknown", None, "pigeon")])
def test_invalid_values_refused(coordinator, place, day, channel):
    case = ComplaintFactory()
    date = datetime.date.today() + datetime.timedelta(days=2) if day else None

    with pytest.raises(ValidationError):
        update_incident(complaint=case, actor=coordinator, incident_municipality=None,
                        incident_place=place, incident_date=date, channel=channel)

    assert Complaint.objects.get(pk=case.pk).version == 1


def test_without_permission_refused(caseworker):
    case = ComplaintFactory()

    with pytest.raises(PermissionDenied):
        update_incident(complaint=case, actor=caseworker, incident_municipality=None,
                        incident_place=IncidentPlace.ONLINE, incident_date=None,
                        channel=Channel.ONLINE)


# --- Links --------------------------------------------------------------------------------------


def test_link_is_symmetric_with_history_on_both(coordinator):
    a, b = ComplaintFactory(), ComplaintFactory()

    link_cases(complaint=b, other=a, kind=CaseLink.Kind.SAME_INCIDENT, actor=coordinator)

    assert list(CaseLink.objects.values_list("first", "second", "kind")) == [
        (a.pk, b.pk, "same_incident")]
    assert [(r.case_number, r.kind) for r in related_cases(complaint=a, user=coordinator)] == [
        (b.case_number, "same_incident")]
    assert [(r.case_number, r.kind) for r in related_cases(complaint=b, user=coordinator)] == [
        (a.case_number, "same_incident")]
    assert history(a, "link") == [("coordinator1", "", f"{b.case_number}:same_incident")]
    assert history(b, "link") == [("coordinator1", "", f"{a.case_number}:same_incident")]


def test_relinking_changes_the_kind_and_unlinking_removes_it(coordinator):
    a, b = ComplaintFactory(), ComplaintFactory()
    link_cases(complaint=a, other=b, kind=CaseLink.Kind.SAME_INCIDENT, actor=coordinator)
    link_cases(complaint=a, other=b, kind=CaseLink.Kind.SAME_INCIDENT, actor=coordinator)
    link_cases(complaint=b, other=a, kind=CaseLink.Kind.FOLLOW_UP, actor=coordinator)

    assert list(CaseLink.objects.values_list("kind", flat=True)) == ["follow_up"]
    assert len(history(a, "link")) == 2

    assert unlink_cases(complaint=a, other=b, actor=coordinator) is True
    assert unlink_cases(complaint=a, other=b, actor=coordinator) is False
    assert CaseLink.objects.count() == 0
    assert history(b, "unlink") == [("coordinator1", f"{a.case_number}:follow_up", "")]


def test_links_refused_to_itself_to_invisible_cases_and_without_permission(
        coordinator, caseworker):
    a, b = ComplaintFactory(), ComplaintFactory(status="closed")
    assign_complaint(complaint=a, actor=coordinator, assignee=caseworker)

    with pytest.raises(ValidationError):
        link_cases(complaint=a, other=a, kind="duplicate", actor=coordinator)
    with pytest.raises(ValidationError):
        link_cases(complaint=a, other=b, kind="duplicate", actor=caseworker)  # b not visible
    with pytest.raises(ValidationError):
        link_cases(complaint=a, other=b, kind="cousin", actor=coordinator)
    with pytest.raises(PermissionDenied):
        link_cases(complaint=b, other=a, kind="duplicate", actor=caseworker)
    assert CaseLink.objects.count() == 0


def test_a_related_case_the_user_cannot_see_has_no_link(coordinator, caseworker):
    a, b = ComplaintFactory(), ComplaintFactory(status="closed")
    assign_complaint(complaint=a, actor=coordinator, assignee=caseworker)
    link_cases(complaint=a, other=b, kind="follow_up", actor=coordinator)

    [related] = related_cases(complaint=a, user=caseworker)

    assert (related.case_number, related.public_id) == (b.case_number, None)


def test_the_municipality_name_for_sorting_follows_the_incident_place(coordinator):
    """``Complaint.incident_municipality_name`` (the case list's indexed sort key, issue 13) is
    copied on registration and on every correction of the place."""
    case = ComplaintFactory(incident_municipality="GM0114")
    assert Complaint.objects.get(pk=case.pk).incident_municipality_name == "Emmen"

    case = update_incident(complaint=case, actor=coordinator, expected_version=case.version,
                           incident_municipality=Municipality.objects.get(code="GM0106"),
                           incident_place=IncidentPlace.MUNICIPALITY,
                           incident_date=None, channel=case.channel)
    assert Complaint.objects.get(pk=case.pk).incident_municipality_name == "Assen"

    update_incident(complaint=case, actor=coordinator, expected_version=case.version,
                    incident_municipality=None, incident_place=IncidentPlace.ONLINE,
                    incident_date=None, channel=case.channel)
    assert Complaint.objects.get(pk=case.pk).incident_municipality_name is None
