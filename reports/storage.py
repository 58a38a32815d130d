"""Private file storage: outside ``STATIC_ROOT`` and ``MEDIA_URL``, never served directly."""

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.functional import LazyObject


class PrivateStorage(LazyObject):
    """``FileSystemStorage`` rooted at ``settings.PRIVATE_MEDIA_ROOT`` with no base URL."""

    def _setup(self) -> None:
        self._wrapped = FileSystemStorage(location=settings.PRIVATE_MEDIA_ROOT, base_url=None)


private_storage = PrivateStorage()
