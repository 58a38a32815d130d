"""The reporter's follow-up portal at /melden/opvolgen/ and the receipt on /melden/bedankt/."""

from __future__ import annotations

import logging
import time
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, get_resolver
from django.utils import timezone, translation

from reports.models import Attachment, Complaint, ComplaintHistory, Message, Throttle
from reports.services import receipts
from reports.services.complaints import (
    add_note,
    assign_complaint,
    change_status,
    record_message,
    submit_online_complaint,
)
from reports.views.followup import SESSION_KEY
from tests.reports import upload_samples as samples
from tests.reports.views.helpers import by_testid, parse

pytestmark = pytest.mark.django_db

ENTRY = "/melden/opvolgen/"
CASE = "/melden/opvolgen/melding/"
MESSAGE = "/melden/opvolgen/bericht/"
FILES = "/melden/opvolgen/bestanden/"
CLOSE = "/melden/opvolgen/afsluiten/"
NO_STORE = "max-age=0, no-cache, no-store, must-revalidate, private"
WRONG = "This code is not correct, or it no longer works."
WAIT_ONE_MINUTE = "You tried too often. Please wait 1 minute and try again."
AGAIN = "For your safety, please fill in your receipt code again."
DESCRIPTION = "Beschrijving-kenmerk 5e6f van wat er gebeurde."
PDF_BYTES = samples.PDF


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    return tmp_path


def submit(office, description: str = DESCRIPTION):
    """A report from the public form: (complaint, receipt code)."""
    submission = submit_online_complaint(office=office, submission_token=uuid.uuid4(),
                                         description=description, reporter_name="Anna Naam",
                                         language="en")
    return submission.complaint, submission.receipt_code


@pytest.fixture
def case(office):
    return submit(office)


def open_case(client: Client, code: str, ip: str = "192.0.2.1"):
    return client.post(ENTRY, {"code": code}, REMOTE_ADDR=ip)


def shown_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def wrong_code_like(code: str) -> str:
    raw = receipts.normalise_code(code)
    return receipts.format_code(raw[:-1] + ("0" if raw[-1] != "0" else "1"))


# --- Code entry -------------------------------------------------------------------------------


def test_code_entry_page(client, office):
    response = client.get(ENTRY)

    assert response.status_code == 200
    assert response.templates[0].name == "reports/followup.html"
    assert response["Cache-Control"] == NO_STORE
    forms = [form for form in parse(response.content).forms
             if form["attrs"].get("action") == ENTRY]
    assert len(forms) == 1
    assert forms[0]["attrs"]["method"] == "post"
    assert forms[0]["names"] == ["csrfmiddlewaretoken", "code"]
    code_input = [attrs for tag, attrs in parse(response.content).tags
                  if tag == "input" and attrs.get("name") == "code"]
    assert code_input[0]["autocomplete"] == "off"
    assert by_testid(response.content, "followup-error") == []


@pytest.mark.parametrize("variant", ["exact", "lower", "spaces", "no_dashes", "padded"])
def test_a_correct_code_opens_the_case_page(client, case, variant):
    complaint, code = case
    typed = {"exact": code, "lower": code.lower(), "spaces": code.replace("-", " "),
             "no_dashes": code.replace("-", ""), "padded": f"  {code}  "}[variant]
    client.get(ENTRY)
    key_before = client.session.session_key

    response = open_case(client, typed)

    assert response.status_code == 302
    assert response["Location"] == CASE
    assert response["Cache-Control"] == NO_STORE
    assert client.session[SESSION_KEY]["public_id"] == str(complaint.public_id)
    assert client.session.session_key != key_before  # a new session key after the code


def test_the_entry_goes_to_the_open_case(client, case):
    open_case(client, case[1])

    response = client.get(ENTRY)

    assert response.status_code == 302
    assert response["Location"] == CASE


@pytest.mark.parametrize("typed", ["abc", "0000-0000-0000-0000-0000", "wrong-like"])
def test_a_wrong_code_gets_the_one_generic_error(client, case, typed):
    code = wrong_code_like(case[1]) if typed == "wrong-like" else typed

    response = open_case(client, code)

    assert response.status_code == 400
    assert by_testid(response.content, "followup-error") == [WRONG]
    assert SESSION_KEY not in client.session


def test_a_withdrawn_code_gets_the_same_error(client, case):
    complaint, code = case
    receipts.withdraw_receipt_code(complaint=complaint)

    response = open_case(client, code)

    assert response.status_code == 400
    assert by_testid(response.content, "followup-error") == [WRONG]


def test_a_code_of_an_erased_case_gets_the_same_error(client, case):
    complaint, code = case
    Complaint.objects.filter(pk=complaint.pk).update(personal_data_removed_at=timezone.now(),
                                                     personal_data_removal="request")

    response = open_case(client, code)

    assert response.status_code == 400
    assert by_testid(response.content, "followup-error") == [WRONG]


def test_an_empty_code_is_a_form_error_and_not_counted(client, office):
    response = client.post(ENTRY, {"code": "  "})

    assert response.status_code == 400
    assert response.context["form"].errors == {"code": ["Please fill in your receipt code."]}
    assert Throttle.objects.count() == 0


# --- Guessing protection ----------------------------------------------------------------------


def test_the_sixth_wrong_attempt_from_one_ip_is_429(client, case):
    statuses = [open_case(client, f"WRONG{n}").status_code for n in range(5)]
    sixth = open_case(client, "WRONG6")

    assert statuses == [400, 400, 400, 400, 400]
    assert sixth.status_code == 429
    assert by_testid(sixth.content, "followup-error") == [WAIT_ONE_MINUTE]
    assert sixth["Cache-Control"] == NO_STORE
    # The form is shown empty again.
    assert "WRONG6" not in sixth.content.decode()


def test_a_correct_code_while_blocked_is_refused(client, case, settings):
    settings.FOLLOWUP_BASE_DELAY_SECONDS = 300
    complaint, code = case
    for n in range(6):
        open_case(client, f"WRONG{n}")

    response = open_case(client, code)

    assert response.status_code == 429
    assert by_testid(response.content, "followup-error") == [
        "You tried too often. Please wait 5 minutes and try again."]
    assert SESSION_KEY not in client.session
    # Another address is not blocked.
    assert open_case(Client(), code, ip="192.0.2.2").status_code == 302


def test_the_prefix_limit_works_across_ips(case, settings):
    settings.FOLLOWUP_BASE_DELAY_SECONDS = 60
    complaint, code = case
    wrong = wrong_code_like(code)

    statuses = [open_case(Client(), wrong, ip=f"198.51.100.{n}").status_code for n in range(6)]
    with_right_code = open_case(Client(), code, ip="203.0.113.7")

    assert statuses == [400, 400, 400, 400, 400, 429]
    assert with_right_code.status_code == 429
    assert by_testid(with_right_code.content, "followup-error") == [WAIT_ONE_MINUTE]


def test_ones_own_valid_code_does_not_reset_the_limit(client, case, settings):
    """Someone holding one valid code must not be able to reset the IP's limit between
    guesses (found by a fresh-user test)."""
    settings.FOLLOWUP_BASE_DELAY_SECONDS = 60
    complaint, code = case
    first = [open_case(client, f"WRONG{n}").status_code for n in range(4)]
    assert open_case(client, code).status_code == 302
    client.post(CLOSE)
    again = [open_case(client, f"WRONG{n}").status_code for n in range(2)]

    assert first == [400, 400, 400, 400]
    assert again == [400, 429]
    blocked = open_case(client, "WRONG")
    assert (blocked.status_code, blocked["Retry-After"]) == (429, "60")


def test_failures_are_logged_without_the_code(client, case, caplog):
    caplog.set_level(logging.INFO, logger="meldpunt.security")
    complaint, code = case
    wrong = wrong_code_like(code)
    for _n in range(6):
        open_case(client, wrong)

    events = [record.security_event for record in caplog.records
              if hasattr(record, "security_event")]
    assert events == ["receipt_code_failed"] * 5 + ["receipt_code_blocked"]
    for record in caplog.records:
        text = record.getMessage()
        assert wrong not in text and receipts.normalise_code(wrong) not in text
        assert receipts.normalise_code(code)[:4] not in text.replace("/melden/opvolgen/", "")


# --- Authorization ----------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "url"), [("get", CASE), ("post", MESSAGE), ("post", FILES)])
def test_without_a_code_every_case_page_goes_back_to_the_entry(client, case, method, url, media):
    response = getattr(client, method)(url, {"body": "Hallo"} if url == MESSAGE else {})

    assert response.status_code == 302
    assert response["Location"] == ENTRY
    assert Message.objects.count() == 0
    assert Attachment.objects.count() == 0


def test_no_portal_url_names_a_case():
    public = next(p for p in get_resolver().url_patterns
                  if getattr(p, "app_name", None) == "intake")
    followup = [p for p in public.url_patterns
                if isinstance(p, URLPattern) and p.name.startswith("followup")]

    assert sorted(str(p.pattern) for p in followup) == [
        "opvolgen/", "opvolgen/afsluiten/", "opvolgen/bericht/", "opvolgen/bestanden/",
        "opvolgen/melding/"]
    assert [p.pattern.converters for p in followup] == [{}] * 5


def test_another_case_can_never_be_reached(client, office):
    mine, code = submit(office, "Mijn melding.")
    other, _other_code = submit(office, "Andere melding.")
    open_case(client, code)

    assert client.get(f"{CASE}{other.public_id}/").status_code == 404
    assert client.get(f"{ENTRY}{other.public_id}/").status_code == 404
    response = client.post(MESSAGE, {"body": "Voor wie?", "public_id": str(other.public_id),
                                     "complaint": other.pk})

    assert response.status_code == 302
    assert list(Message.objects.values_list("complaint_id", "body")) == [(mine.pk, "Voor wie?")]
    page = client.get(CASE)
    assert by_testid(page.content, "case-number") == [mine.case_number]
    assert other.case_number not in page.content.decode()


def test_the_session_ends_after_the_idle_limit(client, case, settings):
    complaint, code = case
    open_case(client, code)
    session = client.session
    session[SESSION_KEY] = {**session[SESSION_KEY],
                            "seen": time.time() - settings.FOLLOWUP_SESSION_IDLE_SECONDS - 1}
    session.save()

    response = client.get(CASE, follow=True)

    assert response.redirect_chain == [(ENTRY, 302)]
    assert shown_messages(response) == [AGAIN]
    assert SESSION_KEY not in client.session


def test_each_request_extends_the_idle_limit(client, case, settings):
    complaint, code = case
    open_case(client, code)
    session = client.session
    session[SESSION_KEY] = {**session[SESSION_KEY],
                            "seen": time.time() - settings.FOLLOWUP_SESSION_IDLE_SECONDS + 60}
    session.save()

    assert client.get(CASE).status_code == 200
    assert time.time() - client.session[SESSION_KEY]["seen"] < 5


def test_closing_forgets_the_case(client, case):
    open_case(client, case[1])

    response = client.post(CLOSE, follow=True)

    assert response.redirect_chain == [(ENTRY, 302)]
    assert shown_messages(response) == [
        "Your case page is closed. To open it again, fill in your receipt code."]
    assert SESSION_KEY not in client.session
    assert client.get(CASE)["Location"] == ENTRY
    assert client.get(CLOSE).status_code == 405


@pytest.mark.parametrize("closed", ["withdrawn", "erased"])
def test_an_open_session_stops_when_the_code_stops_working(client, case, closed):
    complaint, code = case
    open_case(client, code)
    if closed == "withdrawn":
        receipts.withdraw_receipt_code(complaint=complaint)
    else:
        Complaint.objects.filter(pk=complaint.pk).update(personal_data_removed_at=timezone.now())

    posted = client.post(MESSAGE, {"body": "Nog iets."})
    page = client.get(CASE, follow=True)

    assert posted.status_code == 302
    assert posted["Location"] == ENTRY
    assert Message.objects.count() == 0
    assert page.redirect_chain == [(ENTRY, 302)]
    assert SESSION_KEY not in client.session


# --- The case page ----------------------------------------------------------------------------


def test_the_case_page_shows_status_and_conversation_but_nothing_internal(client, case,
                                                                          coordinator):
    complaint, code = case
    complaint = assign_complaint(complaint=complaint, actor=coordinator, assignee=coordinator)
    complaint = change_status(complaint=complaint, actor=coordinator,
                              to_status="awaiting_reporter")
    add_note(complaint=complaint, author=coordinator, text="Interne-notitie-3b3b.")
    record_message(complaint=complaint, author=coordinator, direction="out",
                   body="Kunt u de datum noemen?")
    open_case(client, code)

    response = client.get(CASE)

    assert response.status_code == 200
    assert response.templates[0].name == "reports/followup_case.html"
    assert response["Cache-Control"] == NO_STORE
    assert by_testid(response.content, "case-number") == [complaint.case_number]
    assert by_testid(response.content, "status-sentence") == [
        "We are waiting for an answer from you. Please read our message below and reply."]
    assert by_testid(response.content, "message-body") == ["Kunt u de datum noemen?"]
    html = response.content.decode()
    # Tester finding 9: user-written text takes its own direction (Arabic in an LTR page).
    assert ('<div class="text-pre-wrap" dir="auto" data-testid="message-body">'
            "Kunt u de datum noemen?</div>") in html
    for internal in ("Interne-notitie-3b3b", coordinator.username, DESCRIPTION, "5e6f",
                     "Anna Naam", "Awaiting reporter", str(complaint.public_id)):
        assert internal not in html
    forms = {form["attrs"]["action"]: form["names"] for form in parse(response.content).forms}
    assert forms[MESSAGE] == ["csrfmiddlewaretoken", "body"]
    assert forms[FILES] == ["csrfmiddlewaretoken", "files"]
    assert forms[CLOSE] == ["csrfmiddlewaretoken"]


def test_an_empty_conversation(client, case):
    open_case(client, case[1])

    response = client.get(CASE)

    assert by_testid(response.content, "no-messages") == ["There are no messages yet."]
    assert by_testid(response.content, "status-sentence") == [
        "We have received your report. Someone from our team will look at it soon."]


def test_a_reply_is_stored_and_shown(client, case):
    complaint, code = case
    open_case(client, code)

    response = client.post(MESSAGE, {"body": "Het was op 3 maart.\nOm 10 uur."}, follow=True)

    assert response.redirect_chain == [(CASE, 302)]
    assert shown_messages(response) == ["Thank you. We have received your message."]
    assert list(Message.objects.values_list("complaint_id", "direction", "author_id", "body")) == [
        (complaint.pk, "in", None, "Het was op 3 maart.\nOm 10 uur.")]
    assert list(ComplaintHistory.objects.filter(complaint=complaint)
                .values_list("action", "actor_id")) == [("created", None),
                                                        ("reporter_message", None)]
    assert by_testid(response.content, "message-body") == ["Het was op 3 maart. Om 10 uur."]
    assert [attrs["data-from"] for tag, attrs in parse(response.content).tags
            if attrs.get("data-testid") == "portal-message"] == ["reporter"]


def test_an_empty_reply_is_refused(client, case):
    open_case(client, case[1])

    response = client.post(MESSAGE, {"body": "   "})

    assert response.status_code == 400
    assert response.context["reply_form"].errors == {"body": ["Please write a message."]}
    assert Message.objects.count() == 0


def test_a_long_reply_keeps_the_text(client, case):
    open_case(client, case[1])
    text = "x" * 10_001

    response = client.post(MESSAGE, {"body": text})

    assert response.status_code == 400
    assert parse(response.content).textareas["body"] == text
    assert Message.objects.count() == 0


def test_files_are_stored_as_from_the_reporter(client, case, media):
    complaint, code = case
    open_case(client, code)

    response = client.post(FILES, {"files": [
        SimpleUploadedFile("verklaring.pdf", PDF_BYTES, content_type="application/pdf"),
        SimpleUploadedFile("brief.pdf", PDF_BYTES, content_type="application/pdf")]},
        follow=True)

    assert response.redirect_chain == [(CASE, 302)]
    assert shown_messages(response) == ["Thank you. We have received your 2 files."]
    assert sorted(Attachment.objects.values_list("complaint_id", "original_name", "uploaded_by_id",
                                                 "content_type")) == [
        (complaint.pk, "brief.pdf", None, "application/pdf"),
        (complaint.pk, "verklaring.pdf", None, "application/pdf")]
    assert by_testid(response.content, "portal-files") != []
    assert "verklaring.pdf" in by_testid(response.content, "portal-files")[0]


def test_one_file_message(client, case, media):
    open_case(client, case[1])

    response = client.post(FILES, {"files": [SimpleUploadedFile("a.pdf", PDF_BYTES)]},
                           follow=True)

    assert shown_messages(response) == ["Thank you. We have received your file."]


def test_a_wrong_file_is_refused(client, case, media):
    open_case(client, case[1])

    response = client.post(FILES, {"files": [SimpleUploadedFile("virus.pdf", b"MZ\x90\x00")]})

    assert response.status_code == 400
    assert response.context["files_form"].errors == {"files": [
        "“virus.pdf” is not a PDF, JPEG, PNG or Word (.docx) file.",
        "Please choose your files again: after an error your browser cannot keep them."]}
    assert Attachment.objects.count() == 0


def test_too_many_files_are_refused(client, case, media, settings):
    open_case(client, case[1])
    files = [SimpleUploadedFile(f"{n}.pdf", PDF_BYTES) for n in range(6)]

    response = client.post(FILES, {"files": files})

    assert response.status_code == 400
    assert response.context["files_form"].errors["files"][0] == (
        "You can add at most 5 files.")
    assert Attachment.objects.count() == 0


def test_no_file_is_refused(client, case, media):
    open_case(client, case[1])

    response = client.post(FILES, {})

    assert response.status_code == 400
    assert response.context["files_form"].errors == {"files": ["Please choose a file."]}


# --- The back office sees the reporter's messages and files -------------------------------------


def test_caseworkers_see_portal_messages_and_files_marked_as_from_the_reporter(
        client, case, coordinator, login_as, media):
    complaint, code = case
    open_case(client, code)
    client.post(MESSAGE, {"body": "Bericht via het portaal."})
    client.post(FILES, {"files": [SimpleUploadedFile("bewijs.pdf", PDF_BYTES)]})

    page = login_as(coordinator).get(f"/backoffice/zaken/{complaint.public_id}/")

    assert page.status_code == 200
    entries = [(attrs.get("data-kind"), attrs.get("data-by")) for tag, attrs
               in parse(page.content).tags if attrs.get("data-testid") == "timeline-entry"]
    assert entries == [("history", None), ("message", "reporter"), ("attachment", "reporter")]
    assert by_testid(page.content, "by-reporter") == ["reporter", "reporter"]
    texts = by_testid(page.content, "timeline-entry")
    assert texts[1].startswith("Message from the reporter via the follow-up page · reporter · ")
    assert texts[1].endswith("Bericht via het portaal.")
    assert "bewijs.pdf" in texts[2]


def test_a_caseworkers_answer_appears_in_the_portal(client, case, coordinator):
    complaint, code = case
    open_case(client, code)
    client.post(MESSAGE, {"body": "Vraag van de melder."})

    record_message(complaint=complaint, author=coordinator, direction="out",
                   body="Antwoord van het meldpunt.")
    response = client.get(CASE)

    assert by_testid(response.content, "message-body") == [
        "Vraag van de melder.", "Antwoord van het meldpunt."]
    assert [attrs["data-from"] for tag, attrs in parse(response.content).tags
            if attrs.get("data-testid") == "portal-message"] == ["reporter", "office"]


# --- The receipt on the thanks page -------------------------------------------------------------


def test_thanks_shows_the_code_once_with_an_explanation(client, office):
    response = client.post("/melden/", {"description": DESCRIPTION}, follow=True)

    assert response.redirect_chain == [("/melden/bedankt/", 302)]
    assert response["Cache-Control"] == NO_STORE
    complaint = Complaint.objects.get()
    [code] = by_testid(response.content, "receipt-code")
    assert receipts.find_by_receipt_code(code=code) == complaint
    assert by_testid(response.content, "case-number") == [complaint.case_number]
    receipt = by_testid(response.content, "receipt")[0]
    assert "Write this code down now, or save it in a safe place. We show it only once." in receipt
    assert by_testid(response.content, "followup-link") == [
        "http://testserver/melden/opvolgen/"]
    links = [attrs["href"] for tag, attrs in parse(response.content).tags
             if attrs.get("data-testid") == "followup-link"]
    assert links == [ENTRY]

    reloaded = client.get("/melden/bedankt/")

    assert reloaded.status_code == 200
    assert by_testid(reloaded.content, "receipt-code") == []
    assert by_testid(reloaded.content, "case-number") == [complaint.case_number]
    assert code not in reloaded.content.decode()
    assert by_testid(reloaded.content, "receipt-shown") == [
        "We showed your receipt code only once, for your safety. With that code you can "
        "follow your report on our website. Follow your report"]
