"""Template context shared by every page."""

from django.conf import settings
from django.http import HttpRequest


def office(request: HttpRequest) -> dict[str, str]:
    """The office's name from configuration, for page headers."""
    return {"office_name": settings.MELDPUNT_OFFICE["name"]}
