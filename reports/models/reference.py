"""Reference data: municipalities, municipal mergers and the office (ADV) itself."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

cbs_code_validator = RegexValidator(
    r"^GM\d{4}$", _("Enter a CBS municipality code such as GM0106."), code="cbs_code"
)


class Municipality(models.Model):
    """A Dutch municipality (gemeente), keyed by its CBS code (``GM`` plus 4 digits).

    Municipalities that were dissolved by a merger stay in the table with ``dissolved_on`` set, so
    that registrations carrying an old code keep a valid reference; a municipality formed by a
    merger recorded later has ``established_on``. A municipality exists on day D when
    ``established_on`` is empty or <= D and ``dissolved_on`` is empty or > D. Source: CBS region
    codes (the list of 2024 in the fixtures, later lists through ``manage.py
    update_municipalities``; see :class:`MunicipalityList`).
    """

    code = models.CharField(_("CBS code"), max_length=6, primary_key=True,
                            validators=[cbs_code_validator])
    name = models.CharField(_("name"), max_length=100)
    province = models.CharField(_("province"), max_length=50, blank=True)
    dissolved_on = models.DateField(_("dissolved on"), null=True, blank=True)
    established_on = models.DateField(_("established on"), null=True, blank=True,
                                      help_text=_("Empty: existed before the first list."))

    class Meta:
        ordering = ["name"]
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")
        permissions = [
            ("view_municipality_reports",
             _("Can see the released annual reports of the municipality")),
            ("manage_municipal_accounts",
             _("Can create, link, unlink and deactivate municipal accounts")),
        ]

    def __str__(self) -> str:
        return self.name


class MunicipalityMerger(models.Model):
    """A merger (gemeentelijke herindeling): ``former`` became part of ``successor``.

    ``effective_date`` is the first day on which ``former`` no longer existed.
    """

    former = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="mergers_out")
    successor = models.ForeignKey(Municipality, on_delete=models.CASCADE,
                                  related_name="mergers_in")
    effective_date = models.DateField(_("effective date"))

    class Meta:
        ordering = ["effective_date", "former_id"]
        constraints = [
            models.UniqueConstraint(fields=["former", "successor"], name="unique_merger"),
        ]
        verbose_name = _("municipal merger")
        verbose_name_plural = _("municipal mergers")

    def __str__(self) -> str:
        return f"{self.former_id} → {self.successor_id} ({self.effective_date.isoformat()})"


class MunicipalityList(models.Model):
    """A CBS municipality list (gemeentelijke indeling) applied to the database, newest last.

    The fixture list (valid from 2024-01-01) is recorded by a migration; each later list by
    ``manage.py update_municipalities``. ``load_reference_data`` never overwrites names or
    provinces with an older list than the newest one recorded here.
    """

    valid_from = models.DateField(_("valid from"), unique=True)
    source = models.CharField(_("source"), max_length=500)
    summary = models.TextField(_("summary of changes"), blank=True)
    applied_at = models.DateTimeField(_("applied at"), auto_now_add=True)

    class Meta:
        ordering = ["valid_from"]
        verbose_name = _("municipality list")
        verbose_name_plural = _("municipality lists")

    def __str__(self) -> str:
        return f"{self.valid_from.isoformat()} ({self.source})"


class Office(models.Model):
    """The anti-discrimination service (antidiscriminatievoorziening) running this deployment.

    Its code, name and municipalities come from the ``MELDPUNT_OFFICE`` setting (environment
    variables ``OFFICE_CODE``, ``OFFICE_NAME`` and ``OFFICE_MUNICIPALITIES``) and are written
    here by ``load_reference_data``.
    """

    code = models.CharField(_("code"), max_length=10, unique=True,
                            validators=[RegexValidator(r"^[A-Z]{2,10}$")])
    name = models.CharField(_("name"), max_length=200)
    municipalities = models.ManyToManyField(Municipality, related_name="offices",
                                            verbose_name=_("municipalities served"))
    #: Reminders (issue 12 §3): a case counts as overdue once it has been in the status longer
    #: than this many working days (Europe/Amsterdam, Dutch public holidays excluded), measured
    #: from its latest status change. Set by coordinators at /backoffice/herinneringen/.
    reminder_in_progress_days = models.PositiveSmallIntegerField(
        _("reminder: in progress for more than (working days)"), default=10,
        validators=[MinValueValidator(1), MaxValueValidator(250)])
    reminder_awaiting_reporter_days = models.PositiveSmallIntegerField(
        _("reminder: awaiting reporter for more than (working days)"), default=10,
        validators=[MinValueValidator(1), MaxValueValidator(250)])

    class Meta:
        verbose_name = _("office")
        verbose_name_plural = _("offices")
        permissions = [
            ("manage_reminders", _("Can set the office's reminder periods")),
        ]

    def __str__(self) -> str:
        return self.name

