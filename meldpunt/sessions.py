"""Django's database sessions, with one statement less for every new session.

``SESSION_ENGINE = "meldpunt.sessions"``. Django draws a new session key and first asks the
database whether it is taken (a ``SELECT`` per new session: every report a citizen sends from a
new browser, every login) before inserting it. With 32 random characters from 36 (165 bits) a
collision does not happen; and if it did, the insert would fail on the table's primary key,
which Django's ``SessionStore.create`` already catches (``CreateError``) by drawing another
key. So the look-up is left out (issue 13: the intake POST's statements).
"""

from __future__ import annotations

from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.utils.crypto import get_random_string


class SessionStore(DatabaseSessionStore):
    """``django.contrib.sessions.backends.db.SessionStore`` without the look-up of a new key."""

    def _get_new_session_key(self) -> str:
        """A new random key of 32 characters (``a-z0-9``), not looked up: the primary key
        refuses a duplicate and ``create`` then draws again."""
        return get_random_string(32, VALID_KEY_CHARS)

    async def _aget_new_session_key(self) -> str:
        """As ``_get_new_session_key`` (Django's async path)."""
        return self._get_new_session_key()
