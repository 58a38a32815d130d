"""Private file storage: outside ``STATIC_ROOT`` and ``MEDIA_URL``, never served directly;
attachments are also encrypted at rest."""

import os

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage

from reports import crypto


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


class EncryptedPrivateStorage(PrivateStorage):
    """``PrivateStorage`` whose files are encrypted at rest with ``reports.crypto`` (Fernet:
    AES-128-CBC + HMAC-SHA256). A saved file holds one Fernet token; ``open`` returns the
    plaintext in memory (attachments are at most ``ATTACHMENT_MAX_BYTES``).

    Raises (on ``open``):
        cryptography.fernet.InvalidToken: the file was not written by this storage with a
            configured key, or was altered.
    """

    # Storage's documented hooks; django-stubs does not declare them on FileSystemStorage.
    def _save(self, name: str, content: File) -> str:
        content.seek(0)
        token = crypto.encrypt_bytes(content.read())
        return super()._save(name, ContentFile(token))  # type: ignore[misc]

    def _open(self, name: str, mode: str = "rb") -> File:
        with super()._open(name, "rb") as stored:  # type: ignore[misc]
            plain = crypto.decrypt_bytes(stored.read())
        return ContentFile(plain, name=name)

    def rewrite(self, name: str) -> None:
        """Re-encrypt the file ``name`` with the current key (key rotation), in place."""
        path = self.path(name)
        with open(path, "rb") as stored:
            token = crypto.fernet().rotate(stored.read())
        tmp = f"{path}.rotating"
        with open(tmp, "wb") as out:
            out.write(token)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)

    def deconstruct(self) -> tuple[str, tuple, dict]:
        return ("reports.storage.EncryptedPrivateStorage", (), {})


encrypted_storage = EncryptedPrivateStorage()
