"""The permission matrix, generated from the URL configuration (issue 3).

Every URL in the ``backoffice`` and ``municipal`` namespaces must be classified in ``MATRIX``
(or listed in ``AUTH_FLOW`` as a login/second-factor/password page). Each classified URL is
requested by five actors, and the exact status code is checked:

- ``anonymous``;
- ``unassigned``: a caseworker the case is not assigned to (the case is not in the open queue);
- ``assigned``: the caseworker the case is assigned to;
- ``team``: a caseworker in the team the case is shared with;
- ``coordinator``.

A new URL fails ``test_every_url_is_classified`` until it is added here.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from reports.services.complaints import (
    add_attachment,
    assign_complaint,
    change_status,
    classify_complaint,
    share_with_team,
)
from reports.services.teams import create_team
from tests.factories import CaseworkerFactory, ComplaintFactory
from tests.reports import upload_samples as samples

NAMESPACES = ("backoffice", "municipal")
ACTORS = ("anonymous", "unassigned", "assigned", "team", "coordinator")
#: Login, second-factor and password pages: reachable before logging in, tested in test_auth.
AUTH_FLOW = {
    "backoffice:login", "backoffice:logout", "backoffice:second_factor",
    "backoffice:second_factor_enrol", "backoffice:recovery_codes", "backoffice:password_reset",
    "backoffice:password_reset_done", "backoffice:password_reset_confirm",
    "backoffice:password_reset_complete", "backoffice:password_change",
    "backoffice:password_change_done", "backoffice:invitation",
}
LOGIN = 302
#: Case pages: nobody but those who may see the case learns it exists.
CASE_GET = {"anonymous": LOGIN, "unassigned": 404, "assigned": 200, "team": 200,
            "coordinator": 200}
#: Case actions posted without data: visible and changeable → redirect back with a message.
CASE_POST = {"anonymous": LOGIN, "unassigned": 404, "assigned": 302, "team": 302,
             "coordinator": 302}
#: Coordinator-only case actions.
CASE_POST_COORDINATOR = {"anonymous": LOGIN, "unassigned": 404, "assigned": 403, "team": 403,
                         "coordinator": 302}
#: Coordinator-only case pages (GDPR art. 15 export, art. 17 erasure page).
CASE_GET_COORDINATOR = {"anonymous": LOGIN, "unassigned": 404, "assigned": 403, "team": 403,
                        "coordinator": 200}
#: Coordinator-only pages.
COORDINATOR_PAGE = {"anonymous": LOGIN, "unassigned": 403, "assigned": 403, "team": 403,
                    "coordinator": 200}
#: Pages every staff member may open (their content is filtered per user).
STAFF_PAGE = {"anonymous": LOGIN, "unassigned": 200, "assigned": 200, "team": 200,
              "coordinator": 200}
#: The municipal portal: staff hold no municipality, so they see nothing.
MUNICIPAL_LIST = {"anonymous": LOGIN, "unassigned": 200, "assigned": 200, "team": 200,
                  "coordinator": 200}
MUNICIPAL_FILE = {"anonymous": LOGIN, "unassigned": 404, "assigned": 404, "team": 404,
                  "coordinator": 404}

#: name -> (method, kwargs key, expected status per actor)
MATRIX: dict[str, tuple[str, str, dict[str, int]]] = {
    "backoffice:complaint_list": ("get", "none", STAFF_PAGE),
    "backoffice:complaint_detail": ("get", "case", CASE_GET),
    "backoffice:classify": ("post", "case", CASE_POST),
    "backoffice:change_status": ("post", "case", CASE_POST),
    "backoffice:add_note": ("post", "case", CASE_POST),
    "backoffice:record_message": ("post", "case", CASE_POST),
    "backoffice:add_attachment": ("post", "case", CASE_POST),
    "backoffice:update_reporter": ("post", "case", CASE_POST),
    "backoffice:update_incident": ("post", "case", CASE_POST),
    "backoffice:link_case": ("post", "case", CASE_POST),
    # The other case is assigned and shared like the first, so visible to the same actors.
    "backoffice:unlink_case": ("post", "case_other", CASE_POST),
    "backoffice:worklist": ("get", "none", STAFF_PAGE),
    # Found or not, the box redirects: to the case if visible, else to the searched list.
    "backoffice:jump_to_case": ("get", "none", {"anonymous": LOGIN, "unassigned": 302,
                                                "assigned": 302, "team": 302,
                                                "coordinator": 302}),
    "backoffice:assign": ("post", "case", CASE_POST_COORDINATOR),
    "backoffice:share": ("post", "case", CASE_POST_COORDINATOR),
    "backoffice:move_desk": ("post", "case", CASE_POST_COORDINATOR),
    # Claiming needs an unassigned case; this one is assigned.
    "backoffice:claim": ("post", "case", {"anonymous": LOGIN, "unassigned": 404,
                                          "assigned": 403, "team": 403, "coordinator": 403}),
    "backoffice:download_attachment": ("get", "attachment", CASE_GET),
    "backoffice:export_personal_data": ("get", "case", CASE_GET_COORDINATOR),
    "backoffice:erase_personal_data": ("get", "case", CASE_GET_COORDINATOR),
    "backoffice:case_search": ("get", "none", STAFF_PAGE),
    "backoffice:register": ("get", "none", STAFF_PAGE),
    "backoffice:dashboard": ("get", "none", COORDINATOR_PAGE),
    "backoffice:access_log": ("get", "none", COORDINATOR_PAGE),
    "backoffice:export_csv": ("get", "none", COORDINATOR_PAGE),
    "backoffice:export_xlsx": ("get", "none", COORDINATOR_PAGE),
    "backoffice:statistics": ("get", "none", COORDINATOR_PAGE),
    "backoffice:statistics_zip": ("get", "year", COORDINATOR_PAGE),
    "backoffice:statistics_file": ("get", "year_code", COORDINATOR_PAGE),
    "backoffice:national_report": ("get", "year_fmt", COORDINATOR_PAGE),
    "backoffice:release_reports": ("post", "year", {**COORDINATOR_PAGE, "coordinator": 302}),
    "backoffice:desk_statistics": ("get", "year_desk", COORDINATOR_PAGE),
    "backoffice:run_status": ("get", "run", COORDINATOR_PAGE),
    "backoffice:report_file": ("get", "report", COORDINATOR_PAGE),
    "backoffice:report_exact_file": ("get", "report", COORDINATOR_PAGE),
    "backoffice:municipal_accounts": ("get", "none", COORDINATOR_PAGE),
    "backoffice:reminder_settings": ("get", "none", COORDINATOR_PAGE),
    "backoffice:reply_templates": ("get", "none", COORDINATOR_PAGE),
    "backoffice:reply_template_new": ("get", "none", COORDINATOR_PAGE),
    "backoffice:reply_template_edit": ("get", "reply_template", COORDINATOR_PAGE),
    # Office coordinators only (``manage_desks``): a desk coordinator gets 403.
    "backoffice:desk_settings": ("get", "none", {**COORDINATOR_PAGE, "coordinator": 403}),
    "backoffice:municipal_account_link": ("post", "account",
                                          {**COORDINATOR_PAGE, "coordinator": 302}),
    "backoffice:municipal_account_unlink": ("post", "account_code",
                                            {**COORDINATOR_PAGE, "coordinator": 302}),
    "backoffice:municipal_account_invite": ("post", "account",
                                            {**COORDINATOR_PAGE, "coordinator": 302}),
    "backoffice:municipal_account_deactivate": ("post", "account",
                                                {**COORDINATOR_PAGE, "coordinator": 302}),
    # Mass reports and bulk actions (issue 11 §2, issue 12 §3): coordinators only.
    "backoffice:incident_list": ("get", "none", COORDINATOR_PAGE),
    "backoffice:incident_create": ("post", "none", {**COORDINATOR_PAGE, "coordinator": 302}),
    "backoffice:incident_detail": ("get", "incident", COORDINATOR_PAGE),
    "backoffice:incident_classify": ("post", "incident",
                                     {**COORDINATOR_PAGE, "coordinator": 302}),
    "backoffice:incident_reply": ("post", "incident", {**COORDINATOR_PAGE, "coordinator": 302}),
    "backoffice:incident_close": ("post", "incident", {**COORDINATOR_PAGE, "coordinator": 302}),
    "backoffice:incident_remove_case": ("post", "incident_case",
                                        {**COORDINATOR_PAGE, "coordinator": 302}),
    "backoffice:case_incident": ("post", "case", CASE_POST_COORDINATOR),
    # Nothing selected: back to the list with a message.
    "backoffice:bulk_action": ("post", "none", {**COORDINATOR_PAGE, "coordinator": 302}),
    # A job is seen by its actor (here the coordinator) and those who manage mass reports.
    "backoffice:case_job": ("get", "job", {"anonymous": LOGIN, "unassigned": 404,
                                           "assigned": 404, "team": 404, "coordinator": 200}),
    "backoffice:case_job_restart": ("post", "job", {"anonymous": LOGIN, "unassigned": 404,
                                                    "assigned": 404, "team": 404,
                                                    "coordinator": 302}),
    "municipal:reports": ("get", "none", MUNICIPAL_LIST),
    "municipal:report_file": ("get", "report", MUNICIPAL_FILE),
}


def _walk(patterns, namespace=None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern) and namespace in NAMESPACES:
            yield f"{namespace}:{pattern.name}"


def url_names() -> list[str]:
    return sorted(set(_walk(get_resolver().url_patterns)))


def test_every_url_is_classified():
    unclassified = [name for name in url_names() if name not in MATRIX and name not in AUTH_FLOW]
    assert unclassified == []
    stale = [name for name in [*MATRIX, *AUTH_FLOW] if name not in url_names()]
    assert stale == []


@pytest.fixture
def world(office, coordinator, login_as, settings, tmp_path):
    """One case assigned to ``assigned`` and shared with ``team``'s team; a second caseworker
    who is neither; a finished statistics run and a released report for 2020."""
    from reports.models import AnnualReport, ReplyTemplate, StatisticsRun
    from reports.services.reports import release_annual_reports
    from reports.services.statistics import execute_statistics_run

    settings.PRIVATE_MEDIA_ROOT = tmp_path
    assigned = CaseworkerFactory(username="assigned")
    unassigned = CaseworkerFactory(username="unassigned")
    member = CaseworkerFactory(username="member")
    team = create_team(name="Noord")
    member.groups.add(team.group)
    case = ComplaintFactory(reporter_residence="GM0106", incident_municipality="GM0106")
    case = assign_complaint(complaint=case, actor=coordinator, assignee=assigned)
    case = share_with_team(complaint=case, actor=coordinator, team=team)
    case = classify_complaint(complaint=case, actor=coordinator, contact_type="report",
                              grounds=["race"], societal_domain="housing", nature="threat",
                              handling=["registration"])
    case = change_status(complaint=case, actor=coordinator, to_status="in_progress")
    other = ComplaintFactory()
    other = assign_complaint(complaint=other, actor=coordinator, assignee=assigned)
    other = share_with_team(complaint=other, actor=coordinator, team=team)
    attachment = add_attachment(complaint=case, uploaded_by=coordinator,
                                upload=SimpleUploadedFile("brief.pdf",
                                                          samples.pdf_containing(b"test")))
    run = StatisticsRun.objects.create(office=office, year=2020)
    execute_statistics_run(run_id=run.pk)
    release_annual_reports(office=office, year=2020, actor=coordinator, run=run)
    report = AnnualReport.objects.get(year=2020, scope="GM0106")
    from reports.models import Municipality
    from reports.services.accounts import create_municipal_account

    account = create_municipal_account(
        username="assen", email="assen@example.invalid",
        municipalities=[Municipality.objects.get(code="GM0106")], actor=coordinator)
    from reports.models import CaseJob
    from reports.services.complaints import add_to_incident
    from reports.services.incidents import create_incident, start_case_job

    incident = create_incident(office=office, actor=coordinator, title="Uitzending")
    add_to_incident(complaint=case, actor=coordinator, incident=incident)
    job = start_case_job(kind=CaseJob.Kind.GROUP, actor=coordinator, incident=incident,
                         case_ids=[])
    kwargs = {
        "none": {},
        "incident": {"public_id": incident.public_id},
        "incident_case": {"public_id": incident.public_id, "case_id": case.public_id},
        "job": {"public_id": job.public_id},
        "case": {"public_id": case.public_id},
        "case_other": {"public_id": case.public_id, "other_id": other.public_id},
        "attachment": {"public_id": case.public_id, "attachment_id": attachment.public_id},
        "year": {"year": 2020},
        "year_code": {"year": 2020, "code": "GM0106", "fmt": "json"},
        "year_fmt": {"year": 2020, "fmt": "csv"},
        "year_desk": {"year": 2020, "code": "default"},
        "run": {"public_id": run.public_id},
        "report": {"public_id": report.public_id, "fmt": "csv"},
        "account": {"user_id": account.pk},
        "account_code": {"user_id": account.pk, "code": "GM0106"},
        "reply_template": {"template_id": ReplyTemplate.objects.order_by("pk").first().pk},
    }
    from django.test import Client

    clients = {"anonymous": Client(), "unassigned": login_as(unassigned),
               "assigned": login_as(assigned), "team": login_as(member),
               "coordinator": login_as(coordinator)}
    return clients, kwargs


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_permission_matrix(world, name):
    clients, kwargs = world
    method, key, expected = MATRIX[name]
    url = reverse(name, kwargs=kwargs[key])
    observed = {actor: getattr(clients[actor], method)(url).status_code for actor in ACTORS}
    assert observed == expected
    if expected["anonymous"] == LOGIN:
        response = getattr(clients["anonymous"], method)(url)
        assert response["Location"].startswith("/backoffice/login/?next=")


# --- A second desk (issue 11 §1) ----------------------------------------------------------------
#: Desk A is the office's default desk; desk B ("zuid") serves Emmen (GM0114) from 2000. Every
#: URL that names a case, file, export or statistics scope of desk B, requested by desk A's
#: people: 404 (not 403: they must not learn that it exists).
DESK_B_KEYS = ("case", "case_other", "attachment", "year_code", "year_desk", "report")
#: Office-wide outputs need every desk: desk A's coordinator no longer covers the office.
OFFICE_WIDE = ("backoffice:national_report", "backoffice:release_reports")
DESK_A_ACTORS = ("unassigned", "assigned", "team", "coordinator")


@pytest.fixture
def two_desks(office, login_as, settings, tmp_path):
    """Desk A (default) with its four actors and a case; desk B with a case assigned to its
    caseworker, shared with its team, with a related case and a file; a run and a release of
    2020."""
    from django.test import Client

    from reports.models import AnnualReport, StatisticsRun
    from reports.services.desks import default_desk
    from reports.services.links import link_cases
    from reports.services.reports import release_annual_reports
    from reports.services.statistics import execute_statistics_run
    from tests.factories import CoordinatorFactory, OfficeCoordinatorFactory, make_desk

    settings.PRIVATE_MEDIA_ROOT = tmp_path
    desk_a = default_desk(office=office)
    desk_b = make_desk("zuid", "Zuid", ("GM0114",))
    national = OfficeCoordinatorFactory(username="national")
    coordinator_a = CoordinatorFactory(username="coordinator_a")
    assigned_a = CaseworkerFactory(username="assigned_a")
    unassigned_a = CaseworkerFactory(username="unassigned_a")
    member_a = CaseworkerFactory(username="member_a")
    team_a = create_team(name="Noord", desk=desk_a)
    member_a.groups.add(team_a.group)
    coordinator_b = CoordinatorFactory(username="coordinator_b", desk=desk_b)
    caseworker_b = CaseworkerFactory(username="caseworker_b", desk=desk_b)
    team_b = create_team(name="Zuid-team", desk=desk_b)
    case_a = ComplaintFactory(incident_municipality="GM0106")
    assign_complaint(complaint=case_a, actor=coordinator_a, assignee=assigned_a)
    share_with_team(complaint=case_a, actor=coordinator_a, team=team_a)
    case_b = ComplaintFactory(incident_municipality="GM0114", reporter_residence="GM0114")
    other_b = ComplaintFactory(incident_municipality="GM0114")
    assert case_b.desk == desk_b and other_b.desk == desk_b and case_a.desk == desk_a
    for case in (case_b, other_b):
        assign_complaint(complaint=case, actor=coordinator_b, assignee=caseworker_b)
        share_with_team(complaint=case, actor=coordinator_b, team=team_b)
    link_cases(complaint=case_b, other=other_b, kind="follow_up", actor=coordinator_b)
    attachment = add_attachment(complaint=case_b, uploaded_by=coordinator_b,
                                upload=SimpleUploadedFile("brief.pdf",
                                                          samples.pdf_containing(b"test")))
    run = StatisticsRun.objects.create(office=office, year=2020)
    execute_statistics_run(run_id=run.pk)
    release_annual_reports(office=office, year=2020, actor=national, run=run)
    report_b = AnnualReport.objects.get(year=2020, scope="GM0114")
    # A national mass report with a report of each desk; a job started by desk B's coordinator.
    from reports.services.incidents import (
        create_incident,
        group_into_incident,
        reply_to_all,
        run_case_job,
    )

    incident = create_incident(office=office, actor=national, title="Landelijk")
    run_case_job(job_id=group_into_incident(incident=incident, actor=national,
                                            complaints=[case_a, case_b]).pk)
    job_b = reply_to_all(incident=incident, actor=coordinator_b, body="Bedankt.")
    run_case_job(job_id=job_b.pk)
    kwargs = {
        "incident": {"public_id": incident.public_id},
        "incident_case": {"public_id": incident.public_id, "case_id": case_b.public_id},
        "job": {"public_id": job_b.public_id},
        "case": {"public_id": case_b.public_id},
        "case_other": {"public_id": case_b.public_id, "other_id": other_b.public_id},
        "attachment": {"public_id": case_b.public_id, "attachment_id": attachment.public_id},
        "year_code": {"year": 2020, "code": "GM0114", "fmt": "json"},
        "year_desk": {"year": 2020, "code": "zuid"},
        "report": {"public_id": report_b.public_id, "fmt": "csv"},
        "year_fmt": {"year": 2020, "fmt": "csv"},
        "year": {"year": 2020},
    }
    clients = {"unassigned": login_as(unassigned_a), "assigned": login_as(assigned_a),
               "team": login_as(member_a), "coordinator": login_as(coordinator_a),
               "desk_b": login_as(coordinator_b), "national": login_as(national),
               "anonymous": Client()}
    return clients, kwargs, {"case_a": case_a, "case_b": case_b, "incident": incident}


DESK_B_URLS = sorted(name for name, (_, key, _) in MATRIX.items() if key in DESK_B_KEYS)


def test_the_second_desk_covers_every_case_file_and_statistics_url():
    assert "backoffice:download_attachment" in DESK_B_URLS
    assert {"backoffice:statistics_file", "backoffice:desk_statistics",
            "backoffice:report_file", "backoffice:report_exact_file",
            "backoffice:export_personal_data", "backoffice:move_desk"} <= set(DESK_B_URLS)


@pytest.mark.parametrize("name", DESK_B_URLS)
def test_desk_a_gets_404_for_every_url_of_desk_b(two_desks, name):
    clients, kwargs, _ = two_desks
    method, key, _ = MATRIX[name]
    url = reverse(name, kwargs=kwargs[key])
    observed = {actor: getattr(clients[actor], method)(url).status_code
                for actor in DESK_A_ACTORS}
    assert observed == dict.fromkeys(DESK_A_ACTORS, 404)


@pytest.mark.parametrize("name", DESK_B_URLS)
def test_desk_b_coordinator_and_the_office_coordinator_reach_desk_b(two_desks, name):
    clients, kwargs, _ = two_desks
    method, key, expected = MATRIX[name]
    url = reverse(name, kwargs=kwargs[key])
    for actor in ("desk_b", "national"):
        assert getattr(clients[actor], method)(url).status_code == expected["coordinator"], actor


@pytest.mark.parametrize("name", OFFICE_WIDE)
def test_office_wide_outputs_need_every_desk(two_desks, name):
    clients, kwargs, _ = two_desks
    method, key, expected = MATRIX[name]
    url = reverse(name, kwargs=kwargs[key])
    assert {actor: getattr(clients[actor], method)(url).status_code
            for actor in ("coordinator", "desk_b", "national")} == {
        "coordinator": 404, "desk_b": 404, "national": expected["coordinator"]}


def test_desk_a_lists_and_zip_hold_nothing_of_desk_b(two_desks):
    clients, kwargs, cases = two_desks
    coordinator = clients["coordinator"]
    listing = coordinator.get(reverse("backoffice:complaint_list")).content.decode()
    assert cases["case_a"].case_number in listing
    assert cases["case_b"].case_number not in listing
    export = b"".join(coordinator.get(reverse("backoffice:export_csv")).streaming_content)
    assert cases["case_a"].case_number.encode() in export
    assert cases["case_b"].case_number.encode() not in export
    page = coordinator.get(reverse("backoffice:statistics") + "?year=2020").content.decode()
    assert "GM0106" in page and "GM0114" not in page
    import io
    import zipfile

    archive = zipfile.ZipFile(io.BytesIO(coordinator.get(
        reverse("backoffice:statistics_zip", kwargs=kwargs["year"])).content))
    names = set(archive.namelist())
    assert "2020/GM0106.json" in names and "2020/GM0114.json" not in names
    national = clients["national"].get(reverse("backoffice:complaint_list")).content.decode()
    assert cases["case_a"].case_number in national and cases["case_b"].case_number in national


# --- Mass reports across desks (issue 11 §1) ------------------------------------------------------
#: Mass reports are office-wide: desk A's coordinator opens the national one (200) but sees only
#: desk A's report in it; desk B's report in it and desk B's job are 404 to desk A's people.
INCIDENT_DESK_B = {
    # name -> expected per actor (anonymous, desk A's four, desk B's coordinator, the office's)
    "backoffice:incident_detail": {"anonymous": LOGIN, "unassigned": 403, "assigned": 403,
                                   "team": 403, "coordinator": 200, "desk_b": 200,
                                   "national": 200},
    "backoffice:incident_remove_case": {"anonymous": LOGIN, "unassigned": 403,
                                        "assigned": 403, "team": 403, "coordinator": 404,
                                        "desk_b": 302},
    "backoffice:case_job": {"anonymous": LOGIN, "unassigned": 404, "assigned": 404,
                            "team": 404, "coordinator": 404, "desk_b": 200, "national": 200},
    "backoffice:case_job_restart": {"anonymous": LOGIN, "unassigned": 404, "assigned": 404,
                                    "team": 404, "coordinator": 404, "desk_b": 302,
                                    "national": 302},
}


@pytest.mark.parametrize("name", sorted(INCIDENT_DESK_B))
def test_incident_urls_across_desks(two_desks, name):
    clients, kwargs, _ = two_desks
    method, key, _ = MATRIX[name]
    url = reverse(name, kwargs=kwargs[key])
    # remove_case changes state: the refusals come first, desk B's coordinator (who may) last.
    observed = {actor: getattr(clients[actor], method)(url).status_code
                for actor in INCIDENT_DESK_B[name]}
    assert observed == INCIDENT_DESK_B[name]


def test_desk_a_sees_only_its_report_of_the_national_mass_report(two_desks):
    clients, kwargs, cases = two_desks
    detail = reverse("backoffice:incident_detail", kwargs=kwargs["incident"])
    pages = {actor: clients[actor].get(detail).content.decode()
             for actor in ("coordinator", "desk_b", "national")}
    a_number, b_number = cases["case_a"].case_number, cases["case_b"].case_number
    assert (a_number in pages["coordinator"], b_number in pages["coordinator"]) == (True, False)
    assert (a_number in pages["desk_b"], b_number in pages["desk_b"]) == (False, True)
    assert (a_number in pages["national"], b_number in pages["national"]) == (True, True)
    counts = {actor: page.split('data-testid="report-count">')[1].split("<")[0]
              for actor, page in pages.items()}
    assert counts == {"coordinator": "1", "desk_b": "1", "national": "2"}
    # Desk B's reply job is not on desk A's page (its counts are desk B's).
    jobs = {actor: page.count('data-testid="case-job"') for actor, page in pages.items()}
    assert jobs == {"coordinator": 0, "desk_b": 1, "national": 2}
    listing = clients["coordinator"].get(reverse("backoffice:incident_list")).content.decode()
    row = listing.split('data-testid="incident-row"')[1]
    assert "Landelijk" in row and "<td data-label=\"Meldingen\">1</td>" in row
