"""Writes of files from the reporter (public intake form, follow-up portal)."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.files.base import ContentFile
from django.db import transaction

from reports.models import Attachment, Complaint
from reports.uploads import CleanUpload


@transaction.atomic
def store_reporter_attachments(*, complaint: Complaint,
                               files: Sequence[CleanUpload]) -> list[Attachment]:
    """Store files the reporter sent with ``complaint``, in the order given.

    Args:
        complaint: the case they belong to.
        files: files already checked by ``reports.uploads.validate_upload`` (content type by
            content, images without metadata, safe display names). The count limit
            (``ATTACHMENT_MAX_FILES``) is the form's job.

    Returns:
        The new ``Attachment`` rows, ``uploaded_by`` ``None`` (the reporter), ``size`` in bytes of
        the stored (cleaned) content. Files go to ``EncryptedPrivateStorage`` under generated
        names; the display name is kept only, encrypted, in ``original_name``.

    A file written before a later failure stays on disk without a row (the transaction rolls
    back the rows only); nothing refers to it and it is encrypted.
    """
    stored = []
    for upload in files:
        attachment = Attachment(complaint=complaint, original_name=upload.name,
                                size=len(upload.content), content_type=upload.content_type,
                                uploaded_by=None)
        attachment.file.save("upload", ContentFile(upload.content), save=False)
        attachment.save()
        stored.append(attachment)
    return stored
