"""Static public pages under ``/melden/`` (no login, nothing stored)."""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from reports import throttling
from reports.forms import IntakeForm


def rate_limit_hours() -> int:
    """How long (whole hours) a keyed hash of an IP address may stay in the rate-limit table:
    the default ``older_than`` of ``reports.throttling.purge_expired`` plus the hour between two
    runs of the purge (beat ``purge-rate-limits``)."""
    keep = inspect.signature(throttling.purge_expired).parameters["older_than"].default
    return int(keep.total_seconds() // 3600) + 1


@dataclass(frozen=True)
class OfficeContact:
    """The office's public contact details (GDPR art. 13(1)(a)/(b)), each ``""`` when not set.

    Attributes:
        email: general e-mail address (``OFFICE_EMAIL``).
        phone: phone number as written for people, e.g. ``"0592 123 456"`` (``OFFICE_PHONE``).
        phone_href: the ``tel:`` link of ``phone`` (digits and a leading ``+`` only).
        address: postal or visiting address on one line (``OFFICE_ADDRESS``).
        website: the address of the office's own website; ``https://`` is added when the
            setting has no scheme (``OFFICE_WEBSITE``).
        website_text: ``website`` without scheme and trailing slash, as shown on the page.
        privacy_officer_email: e-mail address of the data protection officer
            (``OFFICE_PRIVACY_OFFICER_EMAIL``; art. 13(1)(b): only if the office has one).
    """

    email: str = ""
    phone: str = ""
    phone_href: str = ""
    address: str = ""
    website: str = ""
    website_text: str = ""
    privacy_officer_email: str = ""

    @property
    def any(self) -> bool:
        """True when at least one of e-mail, phone, address and website is set."""
        return bool(self.email or self.phone or self.address or self.website)


def office_contact(*, config: dict) -> OfficeContact:
    """The public contact details from the ``MELDPUNT_OFFICE`` setting.

    Args:
        config: ``settings.MELDPUNT_OFFICE``; the keys ``email``, ``phone``, ``address``,
            ``website`` and ``privacy_officer_email`` are optional strings (missing = ``""``).

    Returns:
        The details, stripped; an empty value stays ``""`` (the page then leaves its line out).
    """
    def value(key: str) -> str:
        return str(config.get(key) or "").strip()

    phone = value("phone")
    digits = re.sub(r"[^\d+]", "", phone)
    phone_href = f"tel:{digits[0]}{digits[1:].replace('+', '')}" if digits else ""
    website = value("website")
    if website and not re.match(r"^https?://", website, flags=re.IGNORECASE):
        website = f"https://{website}"
    website_text = re.sub(r"^https?://", "", website, flags=re.IGNORECASE).rstrip("/")
    return OfficeContact(email=value("email"), phone=phone, phone_href=phone_href,
                         address=value("address"), website=website, website_text=website_text,
                         privacy_officer_email=value("privacy_officer_email"))


@require_http_methods(["GET", "HEAD"])
def privacy(request: HttpRequest) -> HttpResponse:
    """The privacy statement in plain language (B1).

    The numbers in the text come from configuration: ``settings.RETENTION_YEARS`` (years after
    a case is closed until personal data is removed) and the rate-limit purge default; the
    office's name comes from the ``office`` context processor and its contact details from
    ``settings.MELDPUNT_OFFICE`` (:func:`office_contact`). Rules: AVG (GDPR) art. 13 (controller
    and contact details, purposes and legal basis, recipients, retention, rights, complaint to the
    Autoriteit Persoonsgegevens); legal basis art. 6(1)(e) and art. 9(2)(g) with the Wet
    gemeentelijke antidiscriminatievoorzieningen (Wga) art. 2; annual counts: Wga art. 2 and 3.
    Who sees a report follows ``reports.selectors.permissions.visible_complaints`` and the roles
    in ``reports.roles``.
    """
    return render(request, "reports/privacy.html", {
        "retention_years": settings.RETENTION_YEARS,
        "rate_limit_hours": rate_limit_hours(),
        "contact": office_contact(config=settings.MELDPUNT_OFFICE),
        "consent_label": IntakeForm.base_fields["consent_to_contact"].label,
    })
