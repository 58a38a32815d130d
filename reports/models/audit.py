"""The access log: who opened which case, downloaded which file, exported what."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .complaint import AppendOnlyModel, Complaint


class AccessLog(AppendOnlyModel):
    """One access by a staff member. Holds identifiers and filter parameters, never contents."""

    class Action(models.TextChoices):
        VIEW = "view", _("Opened case")
        DOWNLOAD = "download", _("Downloaded attachment")
        EXPORT = "export", _("Exported case list")
        SUBJECT_ACCESS = "subject_access", _("Exported personal data (GDPR art. 15)")
        ERASURE = "erasure", _("Erased personal data (GDPR art. 17)")
        NATIONAL_EXPORT = "national_export", _("Exported the national report (exact counts)")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="+")
    action = models.CharField(max_length=20, choices=Action.choices)
    complaint = models.ForeignKey(Complaint, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="access_log")
    #: The case number, kept when the case itself is deleted.
    case_number = models.CharField(max_length=32, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    #: Identifiers only: an attachment id, or the export format, row count and filter names.
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")

    def __str__(self) -> str:
        return f"{self.user_id} {self.action} {self.case_number} {self.at:%Y-%m-%d %H:%M}"
