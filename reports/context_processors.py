"""Template context shared by every page."""

from django.conf import settings
from django.http import HttpRequest


def office(request: HttpRequest) -> dict[str, str]:
    """The office's name from configuration, for page headers, and its public e-mail address
    (``OFFICE_EMAIL``; ``""`` when not set) for the footer."""
    return {"office_name": settings.MELDPUNT_OFFICE["name"],
            "office_email": str(settings.MELDPUNT_OFFICE.get("email") or "").strip()}


def navigation(request: HttpRequest) -> dict[str, str]:
    """Which menu the page header shows: ``"none"`` before login and before the second factor,
    ``"municipal"`` for a municipal account (the portal only), ``"backoffice"`` otherwise; and
    ``home_url``, where the brand link leads."""
    from reports.selectors.accounts import home_url, is_municipal_account

    user = getattr(request, "user", None)
    verified = getattr(user, "is_verified", None)
    if user is None or not user.is_authenticated or verified is None or not verified():
        return {"nav_menu": "none", "home_url": ""}
    menu = "municipal" if is_municipal_account(user=user) else "backoffice"
    return {"nav_menu": menu, "home_url": home_url(user=user)}
