"""Private file storage: outside ``STATIC_ROOT`` and ``MEDIA_URL``, never served directly."""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateStorage(FileSystemStorage):
    """``FileSystemStorage`` rooted at ``settings.PRIVATE_MEDIA_ROOT`` (read on every use, so a
    changed setting takes effect), with no base URL: files are served only by permission-checked
    views."""

    def __init__(self) -> None:
        super().__init__(base_url=None)

    @property
    def base_location(self) -> str:
        return str(settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    def url(self, name: str | None) -> str:
        """Private files have no URL."""
        raise ValueError("Private files have no URL; use the permission-checked view.")

    def deconstruct(self) -> tuple[str, tuple, dict]:
        return ("reports.storage.PrivateStorage", (), {})


private_storage = PrivateStorage()
