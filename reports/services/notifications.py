"""E-mail notices to the office and to reporters, queued through the transactional outbox.

A notice says *that* something happened and where to look, never *what*: no description, no
reporter data. Reading the case needs a back-office login (office) or the receipt code
(reporter, at ``/melden/opvolgen/``).
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from reports.models import Complaint, Message, OutboundEmail
from reports.services.outbox import queue_email

NEW_REPORT = "new_online_report"


def notify_office_of_new_report(*, complaint: Complaint) -> list[OutboundEmail]:
    """Queue a notice of a new online report to every address in ``OFFICE_NOTIFY_EMAILS``.

    Call it inside the transaction that stores the complaint: the notice is stored with the
    complaint or not at all, and published to Celery only after commit. Calling it twice for the
    same complaint queues nothing new (the outbox deduplicates per event and recipient).

    Args:
        complaint: the stored complaint; only its case number and public id are used.

    Returns:
        The outbox rows created (none when ``OFFICE_NOTIFY_EMAILS`` is empty).
    """
    recipients = list(settings.OFFICE_NOTIFY_EMAILS)
    if not recipients:
        return []
    path = reverse("backoffice:complaint_detail", kwargs={"public_id": complaint.public_id})
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("New report %(case_number)s") % {"case_number": complaint.case_number}
        body = _("A new report came in through the website: %(case_number)s.\n\n"
                 "Open it in the back office (login required):\n%(link)s\n") % {
            "case_number": complaint.case_number, "link": f"{settings.SITE_URL}{path}"}
    return queue_email(kind=NEW_REPORT, event_key=f"complaint:{complaint.public_id}",
                       recipients=recipients, subject=subject, body=body)


REPORTER_RECEIPT = "reporter_receipt"
REPORTER_MESSAGE = "reporter_new_message"


def _reporter_address(complaint: Complaint) -> str:
    """The address e-mail to the reporter goes to, or ``""``: whenever they left one (issue 5:
    "if the reporter left an e-mail address"), unless their personal data was removed. The
    e-mails hold only a link, so no consent to be contacted by a caseworker is needed."""
    if complaint.personal_data_removed_at is not None:
        return ""
    return (complaint.reporter_email or "").strip()


def _reporter_language(complaint: Complaint) -> str:
    """The language the reporter used (``Complaint.reporter_language``) if it is one of
    ``LANGUAGES``, else ``LANGUAGE_CODE``."""
    language = complaint.reporter_language or ""
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def _followup_link() -> str:
    return f"{settings.SITE_URL}{reverse('intake:followup')}"


def notify_reporter_of_receipt(*, complaint: Complaint) -> list[OutboundEmail]:
    """Queue a confirmation of receipt to the reporter, if they left an e-mail address.

    Consent to be contacted (``consent_to_contact``) is not needed and not checked: the e-mail
    holds only a link, and the form (``IntakeForm.reporter_email`` help text) and the privacy
    statement tell reporters so. None is sent once the case's personal data was removed.

    Call it inside the transaction that stores the complaint (``submit_online_complaint``).
    The e-mail is in the reporter's language (``Complaint.reporter_language``, else
    ``LANGUAGE_CODE``) and has a neutral subject. It holds no report content, no case number and
    no receipt code (a mailbox may be read by others): only the link to the follow-up page,
    ``SITE_URL`` + ``/melden/opvolgen/``. Once per complaint (outbox deduplication).

    Args:
        complaint: the stored complaint.

    Returns:
        The outbox rows created (none without an address, after the personal data was
        removed, or when already queued).
    """
    address = _reporter_address(complaint)
    if not address:
        return []
    office = settings.MELDPUNT_OFFICE["name"]
    with translation.override(_reporter_language(complaint)):
        subject = _("Confirmation from %(office)s") % {"office": office}
        body = _("Hello,\n\n"
                 "Thank you. We have received your report.\n\n"
                 "Do you want to know how your report is going? Go to this page and fill in "
                 "your receipt code:\n%(link)s\n\n"
                 "You got the receipt code on the website after you sent your report. For your "
                 "privacy, we do not put it in this e-mail.\n\n"
                 "Kind regards,\n%(office)s\n") % {"link": _followup_link(), "office": office}
    return queue_email(kind=REPORTER_RECEIPT, event_key=f"complaint:{complaint.public_id}",
                       recipients=[address], subject=subject, body=body)


def notify_reporter_of_message(*, complaint: Complaint, message: Message) -> list[OutboundEmail]:
    """Queue a notice to the reporter that a caseworker sent them a message, if they left an
    e-mail address (no consent to be contacted needed, as for :func:`notify_reporter_of_receipt`).

    Call it inside the transaction that records the message (``complaints.record_message``).
    Like :func:`notify_reporter_of_receipt`: the reporter's language, a neutral subject, no
    message text, case number or code, only the link to the follow-up page. Once per message.

    Args:
        complaint: the case; message: the new message to the reporter (only its id is used).

    Returns:
        The outbox rows created.
    """
    address = _reporter_address(complaint)
    if not address:
        return []
    office = settings.MELDPUNT_OFFICE["name"]
    with translation.override(_reporter_language(complaint)):
        subject = _("New message from %(office)s") % {"office": office}
        body = _("Hello,\n\n"
                 "There is a new message for you about your report.\n\n"
                 "Go to this page and fill in your receipt code to read it:\n%(link)s\n\n"
                 "For your privacy, we do not put the message in this e-mail.\n\n"
                 "Kind regards,\n%(office)s\n") % {"link": _followup_link(), "office": office}
    return queue_email(kind=REPORTER_MESSAGE, event_key=f"message:{message.pk}",
                       recipients=[address], subject=subject, body=body)
