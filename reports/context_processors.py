"""Template context shared by every page."""

from django.conf import settings
from django.http import HttpRequest


def office(request: HttpRequest) -> dict[str, str]:
    """The office's name from configuration, for page headers, and its public e-mail address
    (``OFFICE_EMAIL``; ``""`` when not set) for the footer."""
    return {"office_name": settings.MELDPUNT_OFFICE["name"],
            "office_email": str(settings.MELDPUNT_OFFICE.get("email") or "").strip()}
