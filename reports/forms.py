"""Forms. They validate input and hand cleaned data to services; they never save by themselves."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Fieldset, Layout, Submit
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q, QuerySet
from django.forms.fields import BaseTemporalField
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.dateparse import parse_datetime
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from reports.models import CaseLink, Complaint, Desk, Message, Municipality, Team
from reports.received import received_moment
from reports.selectors.permissions import visible_complaints
from reports.selectors.reference import existing_municipalities
from reports.services.complaints import ComplaintFields, IncidentChanges, ReporterChanges
from reports.services.statistics import MAX_YEAR, MIN_YEAR
from reports.timezones import AMSTERDAM
from reports.types import User
from reports.uploads import AttachmentsField
from reports.vocabulary import (
    Anonymity,
    Channel,
    ContactType,
    Ground,
    Handling,
    IncidentPlace,
    Nature,
    Outcome,
    RejectionReason,
    SocietalDomain,
    Status,
)
from reports.workflow import allowed_next

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

#: Phone numbers: digits, spaces, plus, parentheses and dashes.
PHONE_PATTERN = r"^[0-9+() \-]{6,40}$"


#: Uploaded files as a view passes them (``request.FILES``).
Files = MultiValueDict[str, UploadedFile]
_Field = TypeVar("_Field", bound=forms.Field)


def typed_field(form: forms.BaseForm, name: str, kind: type[_Field]) -> _Field:
    """``form.fields[name]`` as the ``kind`` of field it is declared as (``form.fields`` is
    typed as plain ``Field``s), to set its choices or queryset.

    Raises:
        TypeError: the field is not a ``kind``.
    """
    field = form.fields[name]
    if not isinstance(field, kind):
        raise TypeError(f"{name} is a {type(field).__name__}, not a {kind.__name__}")
    return field


def current_municipalities() -> QuerySet[Municipality]:
    """Municipalities that exist today, for choice lists."""
    return existing_municipalities()


class PlaceFields(TypedDict):
    """Where it happened, as the services take it."""

    incident_municipality: Municipality | None
    incident_place: str


class _PlaceChoiceIterator(forms.models.ModelChoiceIterator):
    """The municipalities, with "online" right after the empty ("not known") choice."""

    field: IncidentPlaceField

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        choices = super().__iter__()
        if self.field.empty_label is not None:
            yield next(choices)
        yield (IncidentPlace.ONLINE.value, self.field.online_label)
        yield from choices

    def __len__(self) -> int:
        return super().__len__() + 1


class IncidentPlaceField(forms.ModelChoiceField):
    """Where it happened, in one list: "not known" (empty), "online" (no municipality applies)
    or a municipality. Cleans to a ``Municipality``, ``IncidentPlace.ONLINE`` or ``None``;
    ``split_place`` turns that into the service's two arguments."""

    iterator = _PlaceChoiceIterator

    def __init__(self, *, online_label: StrOrPromise, label: StrOrPromise,
                 queryset: QuerySet[Municipality], required: bool,
                 empty_label: StrOrPromise) -> None:
        self.online_label = online_label
        super().__init__(queryset=queryset, label=label, required=required,
                         empty_label=empty_label)

    def to_python(self, value: Any) -> Any:
        if value == IncidentPlace.ONLINE:
            return IncidentPlace.ONLINE.value
        return super().to_python(value)

    def prepare_value(self, value: Any) -> Any:
        if value == IncidentPlace.ONLINE:
            return value
        return super().prepare_value(value)


def split_place(value: Municipality | str | None) -> PlaceFields:
    """``incident_municipality`` and ``incident_place`` for a cleaned ``IncidentPlaceField``."""
    if value == IncidentPlace.ONLINE:
        return PlaceFields(incident_municipality=None, incident_place=IncidentPlace.ONLINE)
    if not isinstance(value, Municipality):
        return PlaceFields(incident_municipality=None, incident_place=IncidentPlace.UNKNOWN)
    return PlaceFields(incident_municipality=value, incident_place=IncidentPlace.MUNICIPALITY)


class ReportRulesMixin(forms.Form):
    """Rules shared by the public form and staff registration: the incident date is not in the
    future (Europe/Amsterdam), and consent to be contacted needs an e-mail address or phone."""

    def clean_incident_date(self) -> datetime.date | None:
        value = self.cleaned_data["incident_date"]
        if value and value > timezone.localdate(timezone=AMSTERDAM):
            raise forms.ValidationError(_("The date cannot be in the future."), code="future")
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        if "incident_municipality" in data:
            data.update(split_place(data["incident_municipality"]))
        if (data.get("consent_to_contact") and not data.get("reporter_email")
                and not data.get("reporter_phone") and not self.has_error("reporter_email")
                and not self.has_error("reporter_phone")):
            self.add_error("reporter_email", forms.ValidationError(
                _("To be contacted, leave an e-mail address or a phone number."),
                code="contact"))
        return data


def attachment_limits_text() -> str:
    """The attachment limits in words (``ATTACHMENT_MAX_FILES``, ``ATTACHMENT_MAX_BYTES`` in
    MB), in the active language."""
    return ngettext(
        "At most %(count)d file of %(max)d MB.", "At most %(count)d files of %(max)d MB each.",
        settings.ATTACHMENT_MAX_FILES) % {
            "count": settings.ATTACHMENT_MAX_FILES,
            "max": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)}


class NeverFilledTextInput(forms.TextInput):
    """A text input that is always shown empty, also when the form comes back with errors (for
    the honeypot: a person whose browser filled it can send again)."""

    def format_value(self, value: object) -> None:
        return None


class IntakeForm(ReportRulesMixin, forms.Form):
    """The public report form at ``/melden/``: short, plain language, everything but the
    description optional."""

    description = forms.CharField(
        label=_("What happened?"),
        help_text=_("Tell us in your own words what happened. You do not have to write "
                    "perfectly."),
        widget=forms.Textarea(attrs={"rows": 6, "dir": "auto"}), max_length=10000,
        error_messages={"required": _("Please tell us what happened.")},
    )
    incident_date = forms.DateField(
        label=_("When did it happen?"), required=False,
        help_text=_("Leave empty if you do not know."),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("Enter a date, for example 31-12-2020.")},
    )
    incident_municipality = IncidentPlaceField(
        label=_("Where did it happen?"), queryset=current_municipalities(), required=False,
        empty_label=_("I do not know"), online_label=_("Online (internet, social media)"),
    )
    reporter_name = forms.CharField(label=_("Your name"), required=False, max_length=200)
    reporter_email = forms.EmailField(
        label=_("Your e-mail address"), required=False,
        help_text=_("If you fill this in, we send you an e-mail when we have received your "
                    "report and when there is a new message for you. The e-mail only has a "
                    "link to the page where you can follow your report. There is nothing about "
                    "your report in it, no case number and no code. You get these e-mails even "
                    "if you do not tick the box below."),
        error_messages={"invalid": _("Enter an e-mail address such as name@example.nl.")},
    )
    reporter_phone = forms.RegexField(
        label=_("Your phone number"), required=False, max_length=40,
        regex=PHONE_PATTERN,
        error_messages={"invalid": _("Enter a phone number with digits only, such as "
                                     "0592 123456.")},
    )
    reporter_residence = forms.ModelChoiceField(
        label=_("Where do you live?"), queryset=current_municipalities(), required=False,
        empty_label=_("I would rather not say"),
    )
    consent_to_contact = forms.BooleanField(
        label=_("You may contact me about my report."), required=False,
    )
    #: Besluit gemeentelijke antidiscriminatievoorzieningen, art. 5: the reporter's choice.
    anonymity = forms.TypedChoiceField(
        label=_("Who may know that you made this report?"),
        choices=[
            (Anonymity.ANONYMOUS,
             _("Nobody. I stay anonymous. I do not give my name or contact details.")),
            (Anonymity.ANONYMOUS_TO_THIRD_PARTIES,
             _("Only the caseworkers of the office. They do not tell anyone else my name.")),
            (Anonymity.NAMED,
             _("The office may use my name, for example when it talks to the other party.")),
        ],
        initial=Anonymity.ANONYMOUS_TO_THIRD_PARTIES, widget=forms.RadioSelect, required=False,
        error_messages={"invalid_choice": _("Please choose one of the options.")},
    )
    attachments = AttachmentsField(
        label=_("Files (optional)"),
        help_text=format_lazy(
            "{} {}",
            _("For example a photo, a screenshot or a letter. PDF, JPEG, PNG or Word (.docx)."),
            lazy(attachment_limits_text, str)(),
        ),
    )
    #: The honeypot: hidden from people (CSS class ``hp-field``, ``aria-hidden``, no tab stop),
    #: so anything in it was typed by a program. Its name matches no autofill category.
    extra_remark = forms.CharField(
        label=_("Leave this field empty"), required=False, max_length=200,
        widget=NeverFilledTextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, data: QueryDict | None = None, files: Files | None = None) -> None:
        super().__init__(data, files)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Fieldset(_("Your report"), "description", "incident_date", "incident_municipality",
                     "attachments"),
            Fieldset(_("About you (optional)"), "anonymity",
                     # Hidden by CSS alone while "anonymous" is chosen (meldpunt.css), unless
                     # one of them has an error: works without JavaScript.
                     Div("reporter_name", "reporter_email", "reporter_phone",
                         css_class="identity-fields", data_testid="identity-fields"),
                     "reporter_residence", "consent_to_contact"),
            Div("extra_remark", css_class="hp-field", aria_hidden="true"),
        )
        self.helper.add_input(Submit("submit", _("Send report")))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("anonymity") == Anonymity.ANONYMOUS:
            # Fully anonymous (Besluit art. 5): the office must not learn who reported.
            for field in ("reporter_name", "reporter_phone", "reporter_email"):
                if data.get(field) and not self.has_error(field):
                    self.add_error(field, forms.ValidationError(
                        _("You chose to stay anonymous. Leave this empty, or choose another "
                          "option above."), code="anonymous"))
        elif not any(data.get(field) for field in ("reporter_name", "reporter_email",
                                                   "reporter_phone")):
            # Without any detail the office cannot know who reported: that is anonymous.
            if not self.has_error("anonymity"):
                data["anonymity"] = Anonymity.ANONYMOUS
        elif not data.get("anonymity") and not self.has_error("anonymity"):
            # Not chosen (a client that does not send the field): the protective choice.
            data["anonymity"] = Anonymity.ANONYMOUS_TO_THIRD_PARTIES
        if data.get("extra_remark") or self.has_error("extra_remark"):
            # Generic on purpose: it must not tell a program what gave it away.
            self.add_error(None, forms.ValidationError(
                _("Your report could not be sent. Please check the form and press “Send "
                  "report” again."), code="honeypot"))
        return data

    def is_spam(self) -> bool:
        """Whether the honeypot field was filled (only after ``is_valid``)."""
        return any(error.code == "honeypot" for error in self.non_field_errors().as_data())

    def complaint_fields(self) -> ComplaintFields:
        """The complaint as the reporter filled it in, for ``submit_online_complaint`` (valid
        forms only; the files are ``cleaned_data["attachments"]``)."""
        data = self.cleaned_data
        return ComplaintFields(
            description=data["description"], incident_date=data["incident_date"],
            incident_municipality=data["incident_municipality"],
            incident_place=data["incident_place"], reporter_name=data["reporter_name"],
            reporter_email=data["reporter_email"],
            reporter_phone=data["reporter_phone"], reporter_residence=data["reporter_residence"],
            consent_to_contact=data["consent_to_contact"], anonymity=data["anonymity"])



class VersionedForm(forms.Form):
    """A form for an action that changes a case. It carries the case's ``version`` the page was
    rendered with, which the view passes to the service as ``expected_version``."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def expected_version(self) -> int:
        """The version the user's change is based on (valid forms only)."""
        return self.cleaned_data["version"]



class ClassificationData(TypedDict):
    """``classify_complaint``'s keyword arguments from ``ClassificationForm``."""

    contact_type: str
    grounds: list[str]
    societal_domain: str
    nature: str
    handling: list[str]


def mark_field_errors(form: forms.Form, field: str, messages: list[str]) -> None:
    """Show ``messages`` on ``field`` of an unbound ``form`` (its current values stay): used when
    a save elsewhere on the page was refused because of this field (closing a case without
    handling marks the classification's handling). Unknown fields are ignored."""
    if field not in form.fields:
        return
    errors = form.errors  # unbound: an empty ErrorDict, kept (no validation runs later)
    errors.setdefault(field, form.error_class(renderer=form.renderer)).extend(messages)


class ClassificationForm(VersionedForm):
    """The caseworker's classification (Regeling registratieformulier, tables 2 to 5)."""

    contact_type = forms.ChoiceField(label=_("Contact type"), choices=ContactType.choices)
    grounds = forms.MultipleChoiceField(label=_("Grounds"), choices=Ground.choices,
                                        required=False, widget=forms.CheckboxSelectMultiple)
    societal_domain = forms.ChoiceField(label=_("Societal domain"), required=False,
                                        choices=[("", "—"), *SocietalDomain.choices])
    nature = forms.ChoiceField(label=_("Nature"), required=False,
                               choices=[("", "—"), *Nature.choices])
    handling = forms.MultipleChoiceField(
        label=_("Handling"), choices=Handling.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Mediation and own investigation need a named reporter; mediation also "
                    "needs the consent of both parties (Besluit art. 5 and 11)."),
    )

    def action_data(self) -> ClassificationData:
        """The classification for ``classify_complaint`` (valid forms only)."""
        data = self.cleaned_data
        return ClassificationData(
            contact_type=data["contact_type"], grounds=data["grounds"],
            societal_domain=data["societal_domain"], nature=data["nature"],
            handling=data["handling"])

    @classmethod
    def for_complaint(cls, complaint: Complaint) -> ClassificationForm:
        """An unbound form showing ``complaint``'s current classification."""
        return cls(initial={
            "version": complaint.version,
            "contact_type": complaint.contact_type,
            "grounds": [g.code for g in complaint.grounds.all()],
            "societal_domain": complaint.societal_domain,
            "nature": complaint.nature,
            "handling": [h.code for h in complaint.handling.all()],
        })


class CaseChoiceField(forms.Field):
    """A case the user may see, typed as its case number (or given as its public id by the
    autocomplete). Cases outside ``queryset`` are refused exactly like cases that do not exist,
    so the answer never reveals whether an invisible case exists."""

    widget = forms.TextInput
    default_error_messages = {
        "invalid_choice": _("Select a valid choice. That choice is not one of the available "
                            "choices."),
    }

    def __init__(self, *, queryset: QuerySet[Complaint] | None = None,
                 label: StrOrPromise | None = None, help_text: StrOrPromise = "",
                 required: bool = True) -> None:
        super().__init__(label=label, help_text=help_text, required=required)
        self.queryset = queryset if queryset is not None else Complaint.objects.none()

    def to_python(self, value: object) -> Complaint | None:
        text = str(value).strip() if value is not None else ""
        if not text:
            return None
        try:
            lookup = Q(public_id=uuid.UUID(text))
        except ValueError:
            lookup = Q(case_number__iexact=text)
        match = self.queryset.filter(lookup).first() if len(text) <= 64 else None
        if match is None:
            raise forms.ValidationError(self.error_messages["invalid_choice"],
                                        code="invalid_choice")
        return match

    def prepare_value(self, value: object) -> object:
        return value.case_number if isinstance(value, Complaint) else value


class StatusChange(TypedDict):
    """``change_status``'s keyword arguments from ``StatusForm``."""

    to_status: str
    reason: str
    outcome: str
    rejection_reason: str
    duplicate_of: Complaint | None


class StatusForm(VersionedForm):
    """Move a case to its next status; only transitions the workflow allows are offered.

    The conditions of the targets (an outcome and handling for closing, a rejection reason for
    rejecting, a reason for reopening) are checked by ``change_status``; the reason is optional
    otherwise but always stored in the history.
    """

    to_status = forms.ChoiceField(label=_("New status"))
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "dir": "auto"}),
        help_text=_("Required for reopening; otherwise optional. Stored in the history."),
    )
    outcome = forms.ChoiceField(label=_("Outcome"), required=False,
                                choices=[("", "—"), *Outcome.choices],
                                help_text=_("Required for closing."))
    rejection_reason = forms.ChoiceField(label=_("Reason for rejection"), required=False,
                                         choices=[("", "—"), *RejectionReason.choices],
                                         help_text=_("Required for rejecting."))
    duplicate_of = CaseChoiceField(
        label=_("Duplicate of"), required=False,
        help_text=_("For a duplicate: the case number of the case it duplicates."),
    )

    def __init__(self, data: QueryDict | None = None, *, complaint: Complaint,
                 user: User) -> None:
        super().__init__(data, initial={"version": complaint.version})
        # No preselected target: pressing the button without choosing must not close a case.
        typed_field(self, "to_status", forms.ChoiceField).choices = [("", _("Choose…")), *(
            (s, Status(s).label) for s in allowed_next(complaint.status))]
        typed_field(self, "duplicate_of", CaseChoiceField).queryset = visible_complaints(
            user=user).exclude(pk=complaint.pk)
        self.fields["duplicate_of"].widget.attrs.update({
            "list": "duplicate-of-suggestions", "autocomplete": "off",
            "data-autocomplete-url": reverse("backoffice:case_search"),
        })


    def action_data(self) -> StatusChange:
        """The change for ``change_status`` (valid forms only)."""
        data = self.cleaned_data
        return StatusChange(
            to_status=data["to_status"], reason=data["reason"], outcome=data["outcome"],
            rejection_reason=data["rejection_reason"], duplicate_of=data["duplicate_of"])


class AssignForm(VersionedForm):
    """Assign a case to a caseworker, or return it to the queue."""

    assignee: forms.ModelChoiceField[User] = forms.ModelChoiceField(
        label=_("Caseworker"), queryset=None, required=False,
        empty_label=_("Nobody (back to the queue)"))

    def __init__(self, data: QueryDict | None = None, *, users: QuerySet[User],
                 initial: dict[str, Any] | None = None) -> None:
        super().__init__(data, initial=initial)
        typed_field(self, "assignee", forms.ModelChoiceField).queryset = users


class ClaimForm(VersionedForm):
    """Take an unassigned case: only the version."""


class ShareForm(VersionedForm):
    """Share a case with a team, or stop sharing it."""

    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.order_by("name"),
                                  required=False, empty_label=_("No team"))

    def __init__(self, data: QueryDict | None = None, *, teams: QuerySet[Team] | None = None,
                 initial: dict[str, Any] | None = None) -> None:
        super().__init__(data, initial=initial)
        if teams is not None:
            typed_field(self, "team", forms.ModelChoiceField).queryset = teams


class MoveDeskForm(VersionedForm):
    """Move a case to another desk (``reports.services.desks.move_to_desk``)."""

    desk = forms.ModelChoiceField(label=_("Desk"), queryset=Desk.objects.none(),
                                  empty_label=None)

    def __init__(self, data: QueryDict | None = None, *, desks: QuerySet[Desk],
                 initial: dict[str, Any] | None = None) -> None:
        super().__init__(data, initial=initial)
        typed_field(self, "desk", forms.ModelChoiceField).queryset = desks


class ReporterDataForm(VersionedForm):
    """The reporter's details, anonymity choice and mediation consents
    (``update_reporter_data``)."""

    reporter_name = forms.CharField(label=_("Name"), required=False, max_length=200)
    reporter_email = forms.EmailField(label=_("E-mail address"), required=False)
    reporter_phone = forms.RegexField(
        label=_("Phone number"), required=False, max_length=40, regex=PHONE_PATTERN,
        error_messages={"invalid": _("Enter a phone number with digits only, such as "
                                     "0592 123456.")},
    )
    reporter_residence: forms.ModelChoiceField[Municipality] = forms.ModelChoiceField(
        label=_("Municipality of residence"), queryset=None, required=False,
        empty_label=_("Unknown"))
    consent_to_contact = forms.BooleanField(label=_("Consent to be contacted"), required=False)
    anonymity = forms.ChoiceField(label=_("Anonymity"), choices=Anonymity.choices)
    reporter_consents_mediation = forms.BooleanField(label=_("Reporter consents to mediation"),
                                                     required=False)
    other_party_consents_mediation = forms.BooleanField(
        label=_("Other party consents to mediation"), required=False)

    def __init__(self, data: QueryDict | None = None, *, complaint: Complaint) -> None:
        super().__init__(data, initial={
            "version": complaint.version,
            "reporter_name": complaint.reporter_name,
            "reporter_email": complaint.reporter_email,
            "reporter_phone": complaint.reporter_phone,
            "reporter_residence": complaint.reporter_residence_id,
            "consent_to_contact": complaint.consent_to_contact,
            "anonymity": complaint.anonymity,
            "reporter_consents_mediation": complaint.reporter_consents_mediation,
            "other_party_consents_mediation": complaint.other_party_consents_mediation,
        })
        # A municipality dissolved since registration stays selectable for this case, so that
        # saving other fields does not silently clear it.
        typed_field(self, "reporter_residence", forms.ModelChoiceField).queryset = (
            Municipality.objects.filter(
            Q(dissolved_on__isnull=True) | Q(pk=complaint.reporter_residence_id),
        ).order_by("name"))

    def action_data(self) -> ReporterChanges:
        """The reporter's data for ``update_reporter_data`` (valid forms only)."""
        data = self.cleaned_data
        return ReporterChanges(
            reporter_name=data["reporter_name"], reporter_email=data["reporter_email"],
            reporter_phone=data["reporter_phone"], reporter_residence=data["reporter_residence"],
            consent_to_contact=data["consent_to_contact"], anonymity=data["anonymity"],
            reporter_consents_mediation=data["reporter_consents_mediation"],
            other_party_consents_mediation=data["other_party_consents_mediation"])


class IncidentForm(VersionedForm):
    """Corrections of where and when it happened and how the report came in."""

    incident_municipality = IncidentPlaceField(
        label=_("Municipality of the incident"), queryset=Municipality.objects.none(),
        required=False, empty_label=_("Not known (yet)"),
        online_label=_("Online (no municipality)"),
    )
    incident_date = forms.DateField(label=_("Date of the incident"), required=False,
                                    widget=forms.DateInput(attrs={"type": "date"},
                                                           format="%Y-%m-%d"))
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)

    def __init__(self, data: QueryDict | None = None, *, complaint: Complaint) -> None:
        super().__init__(data, initial={
            "incident_municipality": (complaint.incident_municipality_id
                                      or (IncidentPlace.ONLINE.value
                                          if complaint.incident_place == IncidentPlace.ONLINE
                                          else None)),
            "incident_date": complaint.incident_date, "channel": complaint.channel,
            "version": complaint.version})
        current = Q(pk__in=current_municipalities().values("pk"))
        if complaint.incident_municipality_id:
            current |= Q(pk=complaint.incident_municipality_id)  # a merged one stays choosable
        typed_field(self, "incident_municipality", IncidentPlaceField).queryset = (
            Municipality.objects.filter(current).order_by("name"))

    def action_data(self) -> IncidentChanges:
        """The corrections for ``update_incident`` (valid forms only)."""
        data = self.cleaned_data
        place = split_place(data["incident_municipality"])
        return IncidentChanges(incident_municipality=place["incident_municipality"],
                               incident_place=place["incident_place"],
                               incident_date=data["incident_date"], channel=data["channel"])


class LinkForm(forms.Form):
    """Link another case (by its number) to this one."""

    case_number = forms.CharField(label=_("Case number of the related case"), max_length=32,
                                  widget=forms.TextInput(attrs={
                                      "list": "duplicate-of-suggestions",
                                      "autocomplete": "off", "dir": "ltr"}))
    kind = forms.ChoiceField(label=_("How are they related?"), choices=CaseLink.Kind.choices)

    def __init__(self, data: QueryDict | None = None, *, user: User) -> None:
        super().__init__(data)
        self.user = user

    def clean_case_number(self) -> Complaint:
        number = self.cleaned_data["case_number"].strip()
        other = visible_complaints(user=self.user).filter(case_number__iexact=number).first()
        if other is None:
            raise forms.ValidationError(_("No case with this number that you can see."),
                                        code="unknown_case")
        return other


class NoteForm(forms.Form):
    """An internal note. Notes are only added, so a concurrent change of the case does not
    conflict with them and the form carries no version."""

    text = forms.CharField(label=_("Internal note"),
                           widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}),
                           max_length=10000)


class MessageForm(forms.Form):
    """Record correspondence with the reporter (sent to them or received from them)."""

    direction = forms.ChoiceField(label=_("Direction"), choices=Message.Direction.choices)
    body = forms.CharField(label=_("Message"),
                           widget=forms.Textarea(attrs={"rows": 4, "dir": "auto"}),
                           max_length=20000)


class AttachmentForm(forms.Form):
    """Upload a file to the case."""

    upload = forms.FileField(label=_("File"))


class WallClockDateTimeField(forms.DateTimeField):
    """A date and time as typed (naive = Europe/Amsterdam wall-clock time), left for
    ``reports.received.received_moment`` to interpret, so the form and the import follow one
    rule. Django's own conversion refuses the repeated autumn hour and fails on year 1."""

    def to_python(self, value: object) -> datetime.datetime | None:
        if value in self.empty_values:
            return None
        if isinstance(value, datetime.datetime):
            return value
        text = str(value).strip()
        try:
            result = parse_datetime(text)
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        if result is None:
            result = BaseTemporalField.to_python(self, text)
        return result


class StaffRegistrationForm(ReportRulesMixin, forms.Form):
    """A report received by phone, e-mail, letter or in person (Besluit art. 7)."""

    channel = forms.ChoiceField(
        label=_("How did the report reach you?"),
        choices=[(value, label) for value, label in Channel.choices
                 if value != Channel.ONLINE],
    )
    received_at = WallClockDateTimeField(
        label=_("Received at"), help_text=_("Date and time (Amsterdam time)."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    contact_type = forms.ChoiceField(label=_("Contact type"), choices=ContactType.choices,
                                     initial=ContactType.REPORT)
    description = forms.CharField(label=_("What happened"), max_length=10000,
                                  widget=forms.Textarea(attrs={"rows": 6, "dir": "auto"}))
    incident_date = forms.DateField(label=_("Date of the incident"), required=False,
                                    widget=forms.DateInput(attrs={"type": "date"}))
    incident_municipality = IncidentPlaceField(
        label=_("Municipality of the incident"), queryset=current_municipalities(),
        required=False, empty_label=_("Not known (yet)"),
        online_label=_("Online (no municipality)"),
    )
    reporter_name = forms.CharField(label=_("Name"), required=False, max_length=200)
    reporter_email = forms.EmailField(label=_("E-mail address"), required=False)
    reporter_phone = forms.RegexField(
        label=_("Phone number"), required=False, max_length=40, regex=PHONE_PATTERN,
        error_messages={"invalid": _("Enter a phone number with digits only, such as "
                                     "0592 123456.")},
    )
    reporter_residence = forms.ModelChoiceField(
        label=_("Municipality of residence"), queryset=current_municipalities(),
        required=False, empty_label=_("Unknown"),
    )
    anonymity = forms.ChoiceField(label=_("Anonymity"), choices=Anonymity.choices,
                                  initial=Anonymity.NAMED)
    consent_to_contact = forms.BooleanField(label=_("Consent to be contacted"),
                                            required=False)

    desk = forms.ModelChoiceField(
        label=_("Desk"), queryset=Desk.objects.none(), required=False,
        empty_label=_("By municipality (incident, else residence, else the default desk)"))

    def __init__(self, data: QueryDict | None = None, *,
                 desks: QuerySet[Desk] | None = None) -> None:
        super().__init__(data)
        self.fields["received_at"].initial = lambda: timezone.localtime(
            timezone.now(), AMSTERDAM).replace(second=0, microsecond=0)
        report_fields = ["channel", "received_at", "contact_type", "description",
                         "incident_date", "incident_municipality"]
        # The desk choice only where there is a choice: staff of several desks.
        if desks is not None and desks.count() > 1:
            typed_field(self, "desk", forms.ModelChoiceField).queryset = desks
            report_fields.append("desk")
        else:
            del self.fields["desk"]
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Fieldset(_("The report"), *report_fields),
            Fieldset(_("The reporter"), "reporter_name", "reporter_email", "reporter_phone",
                     "reporter_residence", "anonymity", "consent_to_contact"),
        )
        self.helper.add_input(Submit("submit", _("Register")))

    def full_clean(self) -> None:
        # Dates and times without an offset are Amsterdam time, whatever zone is active.
        with timezone.override(AMSTERDAM):
            super().full_clean()

    def chosen_desk(self) -> Desk | None:
        """The desk staff chose, or ``None`` to route by municipality (valid forms only)."""
        return self.cleaned_data.get("desk")

    def complaint_fields(self) -> ComplaintFields:
        """The complaint as registered, for ``register_staff_complaint`` (valid forms only; the
        channel is ``cleaned_data["channel"]``)."""
        data = self.cleaned_data
        return ComplaintFields(
            description=data["description"], received_at=data["received_at"],
            contact_type=data["contact_type"], incident_date=data["incident_date"],
            incident_municipality=data["incident_municipality"],
            incident_place=data["incident_place"], reporter_name=data["reporter_name"],
            reporter_email=data["reporter_email"],
            reporter_phone=data["reporter_phone"], reporter_residence=data["reporter_residence"],
            consent_to_contact=data["consent_to_contact"], anonymity=data["anonymity"])

    def clean_received_at(self) -> datetime.datetime:
        """Amsterdam time; the repeated autumn hour is its first (summer-time) occurrence;
        the spring gap, times before 2000 and the future are refused (``reports.received``)."""
        return received_moment(self.cleaned_data["received_at"])



class StatisticsRunForm(forms.Form):
    """Start the annual statistics for a registration year."""

    year = forms.IntegerField(label=_("Registration year"), min_value=MIN_YEAR,
                              max_value=MAX_YEAR)
