"""CSRF protection that works under ``Referrer-Policy: no-referrer``.

Under ``no-referrer`` browsers send ``Origin: null`` with every form POST, also to the same site
(Fetch standard, "serializing a request origin"), and Django's ``CsrfViewMiddleware`` refuses a
POST whose origin is ``null``. Browsers also send ``Sec-Fetch-Site`` (Fetch Metadata, a header
page scripts cannot set): ``same-origin`` when the page that posts is on this site.
``FetchMetadataOriginMiddleware``, placed before Django's ``CsrfViewMiddleware``, reads
``Origin: null`` together with ``Sec-Fetch-Site: same-origin`` as this site's own origin; Django's
middleware then does every check as usual, the CSRF token included.

``Origin: null`` with any other or no ``Sec-Fetch-Site`` (a sandboxed frame elsewhere, a
cross-site form, a browser without Fetch Metadata) is still refused. See docs/security.md.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase


class FetchMetadataOriginMiddleware:
    """Replace ``Origin: null`` by the request's own origin when ``Sec-Fetch-Site`` is
    ``same-origin``. Must come before ``django.middleware.csrf.CsrfViewMiddleware``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if (request.META.get("HTTP_ORIGIN") == "null"
                and request.META.get("HTTP_SEC_FETCH_SITE") == "same-origin"):
            request.META["HTTP_ORIGIN"] = f"{request.scheme}://{request.get_host()}"
        return self.get_response(request)
