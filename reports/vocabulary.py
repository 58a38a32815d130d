"""Classification vocabularies of the legal registration form.

Codes and labels come from the Regeling registratieformulier antidiscriminatievoorzieningen
(BWBR0027116), via ``reports/fixtures/reference/registration-categories.csv``. The English
labels are the gettext message ids, with the dimension as context; the Dutch legal labels are
their ``nl`` translations in ``locale/``. ``tests/reports/test_vocabulary.py`` checks that both
still match the CSV exactly.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Ground(models.TextChoices):
    """Discrimination grounds (discriminatiegronden), table 2 of the form."""

    RACE = "race", pgettext_lazy("ground", "Race (origin/skin colour)")
    ANTISEMITISM = "antisemitism", pgettext_lazy("ground", "Antisemitism")
    NATIONALITY = "nationality", pgettext_lazy("ground", "Nationality")
    DISABILITY = "disability", pgettext_lazy("ground", "Disability/chronic illness")
    AGE = "age", pgettext_lazy("ground", "Age")
    SEXUAL_ORIENTATION = "sexual_orientation", pgettext_lazy("ground", "Sexual orientation")
    GENDER = "gender", pgettext_lazy("ground", "Gender")
    WORKING_HOURS = "working_hours", pgettext_lazy("ground", "Working hours")
    EMPLOYMENT_CONTRACT = "employment_contract", pgettext_lazy(
        "ground", "Permanent/temporary contract"
    )
    MARITAL_STATUS = "marital_status", pgettext_lazy("ground", "Marital status")
    RELIGION = "religion", pgettext_lazy("ground", "Religion")
    BELIEF = "belief", pgettext_lazy("ground", "Belief")
    POLITICAL_OPINION = "political_opinion", pgettext_lazy("ground", "Political opinion")
    OTHER = "other", pgettext_lazy("ground", "Other (non-statutory) grounds")
    UNKNOWN = "unknown", pgettext_lazy("ground", "Unknown")


class SocietalDomain(models.TextChoices):
    """Societal domains (maatschappelijke terreinen), table 3 of the form."""

    LABOUR_MARKET = "labour_market", pgettext_lazy("societal_domain", "Labour market")
    NEIGHBOURHOOD = "neighbourhood", pgettext_lazy("societal_domain", "Neighbourhood")
    PUBLIC_SERVICES = "public_services", pgettext_lazy("societal_domain", "Public services")
    COMMERCIAL_SERVICES = "commercial_services", pgettext_lazy(
        "societal_domain", "Commercial services"
    )
    HOSPITALITY = "hospitality", pgettext_lazy("societal_domain", "Hospitality/entertainment")
    HOUSING = "housing", pgettext_lazy("societal_domain", "Housing")
    MEDIA_ADVERTISING = "media_advertising", pgettext_lazy(
        "societal_domain", "Media and advertising"
    )
    EDUCATION = "education", pgettext_lazy("societal_domain", "Education")
    POLICE_JUSTICE = "police_justice", pgettext_lazy(
        "societal_domain", "Police/prosecution/immigration service"
    )
    PRIVATE_SPHERE = "private_sphere", pgettext_lazy("societal_domain", "Private sphere")
    PUBLIC_OPINION = "public_opinion", pgettext_lazy("societal_domain", "Public/political opinion")
    SPORT_RECREATION = "sport_recreation", pgettext_lazy("societal_domain", "Sport/recreation")
    PUBLIC_SPACE = "public_space", pgettext_lazy("societal_domain", "Public space")
    OTHER = "other", pgettext_lazy("societal_domain", "Other")
    UNKNOWN = "unknown", pgettext_lazy("societal_domain", "Unknown/not applicable")


class Nature(models.TextChoices):
    """Nature of the incident (aard), table 4 of the form."""

    DISPUTED_TREATMENT = "disputed_treatment", pgettext_lazy("nature", "Disputed treatment")
    HOSTILE_TREATMENT = "hostile_treatment", pgettext_lazy("nature", "Hostile treatment")
    VIOLENCE = "violence", pgettext_lazy("nature", "Violence")
    THREAT = "threat", pgettext_lazy("nature", "Threat")
    OTHER = "other", pgettext_lazy("nature", "Other")
    UNKNOWN = "unknown", pgettext_lazy("nature", "Unknown")


class Handling(models.TextChoices):
    """Manner of handling (klachtbehandeling), table 5 of the form. Several may apply."""

    REGISTRATION = "registration", pgettext_lazy("handling", "Registration")
    ADVICE_INFORMATION = "advice_information", pgettext_lazy("handling", "Advice/information")
    POLICY_INFLUENCE = "policy_influence", pgettext_lazy("handling", "Influencing policy")
    MEDIATION = "mediation", pgettext_lazy("handling", "Mediation")
    ASSISTANCE_PROCEDURES = "assistance_procedures", pgettext_lazy(
        "handling", "Assistance in procedures"
    )
    REFERRAL = "referral", pgettext_lazy("handling", "Referral")
    OWN_INVESTIGATION = "own_investigation", pgettext_lazy("handling", "Own investigation")
    OTHER = "other", pgettext_lazy("handling", "Other")


class ContactType(models.TextChoices):
    """Kind of contact: a complaint (klacht), a report (melding) or an information request."""

    COMPLAINT = "complaint", pgettext_lazy("contact_type", "Complaint")
    REPORT = "report", pgettext_lazy("contact_type", "Report")
    INFORMATION_REQUEST = "information_request", pgettext_lazy(
        "contact_type", "Information request"
    )


class Channel(models.TextChoices):
    """How the report reached the office (Besluit art. 7)."""

    ONLINE = "online", pgettext_lazy("channel", "Online form")
    PHONE = "phone", pgettext_lazy("channel", "Phone")
    EMAIL = "email", pgettext_lazy("channel", "E-mail")
    LETTER = "letter", pgettext_lazy("channel", "Letter")
    IN_PERSON = "in_person", pgettext_lazy("channel", "In person")
    OTHER = "other", pgettext_lazy("channel", "Other")


class IncidentPlace(models.TextChoices):
    """Where the incident happened, as far as a municipality goes.

    ``municipality``: ``Complaint.incident_municipality`` names it. ``online``: no municipality
    applies (internet, social media, a national phone line). ``unknown``: the place is not known
    (yet); a coordinator may list these before the annual run.
    """

    MUNICIPALITY = "municipality", _("In a municipality")
    ONLINE = "online", _("Online (no municipality)")
    UNKNOWN = "unknown", _("Not known (yet)")


class Status(models.TextChoices):
    """Case status in the ADV's workflow (see ``reports.workflow.TRANSITIONS``)."""

    NEW = "new", _("New")
    IN_PROGRESS = "in_progress", _("In progress")
    AWAITING_REPORTER = "awaiting_reporter", _("Awaiting reporter")
    AWAITING_OTHER_PARTY = "awaiting_other_party", _("Awaiting other party")
    CLOSED = "closed", _("Closed")
    REOPENED = "reopened", _("Reopened")
    REJECTED = "rejected", _("Rejected")


#: Statuses in which a case is finished; no first-response deadline applies to them.
FINAL_STATUSES: tuple[str, ...] = (Status.CLOSED, Status.REJECTED)


class RejectionReason(models.TextChoices):
    """Why a report is not taken on (niet in behandeling genomen)."""

    SPAM = "spam", _("Spam")
    DUPLICATE = "duplicate", _("Duplicate of another case")
    OUT_OF_SCOPE = "out_of_scope", _("Out of scope")


class Outcome(models.TextChoices):
    """The result of a closed case."""

    RESOLVED = "resolved", _("Resolved")
    PARTIALLY_RESOLVED = "partially_resolved", _("Partially resolved")
    NOT_RESOLVED = "not_resolved", _("Not resolved")
    WITHDRAWN = "withdrawn", _("Withdrawn by the reporter")
    REFERRED = "referred", _("Referred elsewhere")
    REGISTERED_ONLY = "registered_only", _("Registered only")
    NO_CONTACT = "no_contact", _("No further contact with the reporter")


class Anonymity(models.TextChoices):
    """What the reporter chose about their identity (Besluit gemeentelijke ADV's, art. 5)."""

    NAMED = "named", _("Named")
    ANONYMOUS_TO_THIRD_PARTIES = "anonymous_to_third_parties", _(
        "Anonymous towards third parties")
    ANONYMOUS = "anonymous", _("Fully anonymous")


#: Handling codes an ADV may not apply while the reporter stays anonymous (Besluit art. 5).
HANDLING_REQUIRING_IDENTITY: frozenset[str] = frozenset({Handling.MEDIATION,
                                                         Handling.OWN_INVESTIGATION})


#: Contact types that count for the annual form (an information request does not).
COUNTED_CONTACT_TYPES: tuple[str, ...] = (ContactType.COMPLAINT, ContactType.REPORT)

#: The tables of the annual form in order, with the vocabulary that gives each table's rows.
#: ``None`` marks table 1, whose only row is ``total``. Source: Regeling registratieformulier.
FORM_TABLES: dict[str, type[models.TextChoices] | None] = {
    "total": None,
    "ground": Ground,
    "societal_domain": SocietalDomain,
    "nature": Nature,
    "handling": Handling,
}
