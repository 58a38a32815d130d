"""E-mail notices to the office, queued through the transactional outbox.

A notice says *that* something happened and where to look, never *what*: no description, no
reporter data. Reading the case needs a back-office login.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from reports.models import Complaint, OutboundEmail
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


def notify_reporter_of_receipt(*, complaint: Complaint) -> list[OutboundEmail]:
    """Queue a confirmation to the reporter's e-mail address, if they left one.

    Placeholder until the follow-up portal lands: queues nothing.
    """
    return []
