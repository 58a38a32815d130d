"""Forms of the reporter's follow-up portal (``/melden/opvolgen/``). They only validate input;
the views hand the cleaned data to ``reports.services.followup``."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from reports.forms import Files
from reports.services.followup import MESSAGE_MAX_LENGTH
from reports.uploads import AttachmentsField


class ReceiptCodeForm(forms.Form):
    """The receipt code, typed in one field: any case, with or without spaces or dashes.

    The form does not judge the code's format: a malformed code is the same failure as a wrong
    one (``reports.services.followup.check_receipt_code``), so the answer never hints at why.
    """

    code = forms.CharField(
        label=_("Your receipt code"), max_length=100, strip=True,
        help_text=_("You got this code on the screen after you sent your report. "
                    "It looks like this: ABCD-1234-EFGH-5678-JKMN."),
        error_messages={"required": _("Please fill in your receipt code.")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters",
                                      "spellcheck": "false", "class": "font-monospace"}),
    )


class ReplyForm(forms.Form):
    """A message from the reporter to the office."""

    body = forms.CharField(
        label=_("Your message"), max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5, "dir": "auto"}),
        error_messages={"required": _("Please write a message.")},
    )


class FilesForm(forms.Form):
    """Files from the reporter: at most ``ATTACHMENT_MAX_FILES`` at a time, each checked by
    ``reports.uploads.validate_upload`` (``files`` cleans to ``list[CleanUpload]``)."""

    # The declarative metaclass moves fields off the class, so ``files`` does not replace
    # ``BaseForm.files`` (the uploaded files) at run time; django-stubs cannot see that.
    files = AttachmentsField(  # type: ignore[assignment]
        label=_("Your files"), required=True,
        error_messages={"required": _("Please choose a file.")},
    )

    def __init__(self, data: QueryDict | None = None, files: Files | None = None) -> None:
        super().__init__(data, files)
        self.fields["files"].help_text = _(
            "PDF, photo (JPEG or PNG) or Word file (.docx). At most %(count)d files at a time, "
            "each at most %(max)d MB.") % {
            "count": settings.ATTACHMENT_MAX_FILES,
            "max": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)}
