"""Search text kept out of URLs (issue 12, tester finding): the case list's search is posted,
stored in the user's session under a short-lived opaque token, and the list's URL carries only
``s=<token>``, so the words typed never reach access logs (gunicorn, nginx), browser history or
a shared link. The other filters stay in the URL, so a filtered list can still be shared; a
colleague opening a link with someone else's token gets a clear "search again" (400).
"""

from __future__ import annotations

import secrets
import time

from django.http import HttpRequest, QueryDict

#: Session key: token -> {"q": text, "at": seconds since the epoch}.
SESSION_KEY = "case_searches"
#: Query parameter naming a stored search.
PARAMETER = "s"
#: A stored search is valid this long (seconds), and a session keeps at most this many.
LIFETIME_SECONDS = 60 * 60
MAX_SEARCHES = 20
#: The longest search text kept, in characters.
MAX_LENGTH = 200


def store_search(request: HttpRequest, text: str) -> str:
    """Keep ``text`` (cut to ``MAX_LENGTH``) in the session and return its new token (16
    URL-safe characters, 96 random bits). Expired and the oldest searches beyond
    ``MAX_SEARCHES`` are dropped."""
    now = time.time()
    searches = {token: entry for token, entry in request.session.get(SESSION_KEY, {}).items()
                if now - entry.get("at", 0) < LIFETIME_SECONDS}
    token = secrets.token_urlsafe(12)
    searches[token] = {"q": text[:MAX_LENGTH], "at": now}
    newest = sorted(searches.items(), key=lambda item: item[1]["at"])[-MAX_SEARCHES:]
    request.session[SESSION_KEY] = dict(newest)
    return token


def stored_search(request: HttpRequest, token: str) -> str | None:
    """The search text stored under ``token`` in this session, or ``None`` when it is unknown
    (another user's, or made up) or older than ``LIFETIME_SECONDS``."""
    entry = request.session.get(SESSION_KEY, {}).get(token)
    if not isinstance(entry, dict) or time.time() - entry.get("at", 0) >= LIFETIME_SECONDS:
        return None
    text = entry.get("q")
    return text if isinstance(text, str) else None


def list_query(request: HttpRequest, data: QueryDict, *, search_field: str = "q") -> str:
    """The URL query for the posted filter form ``data``: every non-empty filter as it is,
    except the search text, which is stored (``store_search``) and replaced by ``s=<token>``;
    the CSRF token is dropped."""
    query = QueryDict(mutable=True)
    for name, values in data.lists():
        if name in ("csrfmiddlewaretoken", search_field, PARAMETER):
            continue
        for value in values:
            if value.strip():
                query.appendlist(name, value)
    text = data.get(search_field, "").strip()
    if text:
        query[PARAMETER] = store_search(request, text)
    return query.urlencode()


def resolve_search(request: HttpRequest, data: QueryDict) -> tuple[QueryDict, bool]:
    """``data`` (the list's GET parameters) with ``s=<token>`` replaced by the stored search
    text as ``q``; the second value is ``False`` when the token is unknown or expired."""
    token = data.get(PARAMETER)
    if token is None:
        return data, True
    resolved = data.copy()
    del resolved[PARAMETER]
    text = stored_search(request, token)
    if text is None:
        return resolved, False
    resolved["q"] = text
    return resolved, True
