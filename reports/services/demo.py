"""Synthetic demonstration data. No real person's data: every value is generated."""

from __future__ import annotations

import datetime
import random

from django.contrib.auth import get_user_model
from django.db import transaction

from reports.models import Complaint, Municipality, Office
from reports.roles import CASEWORKER, COORDINATOR
from reports.services.complaints import assign_complaint, register_complaint
from reports.timezones import AMSTERDAM
from reports.vocabulary import (
    Channel,
    ContactType,
    Ground,
    Handling,
    Nature,
    SocietalDomain,
    Status,
)

DEMO_PREFIX = "DEMO"

# Rough weights, in line with the shares in published Dutch ADV annual reports.
GROUND_WEIGHTS = {
    Ground.RACE: 40, Ground.DISABILITY: 14, Ground.RELIGION: 8, Ground.SEXUAL_ORIENTATION: 7,
    Ground.GENDER: 7, Ground.AGE: 7, Ground.NATIONALITY: 5, Ground.ANTISEMITISM: 3,
    Ground.OTHER: 6, Ground.UNKNOWN: 3,
}
DOMAIN_WEIGHTS = {
    SocietalDomain.LABOUR_MARKET: 20, SocietalDomain.PUBLIC_SPACE: 12,
    SocietalDomain.NEIGHBOURHOOD: 12, SocietalDomain.COMMERCIAL_SERVICES: 12,
    SocietalDomain.EDUCATION: 8, SocietalDomain.PUBLIC_SERVICES: 8,
    SocietalDomain.POLICE_JUSTICE: 6, SocietalDomain.HOSPITALITY: 5, SocietalDomain.HOUSING: 5,
    SocietalDomain.SPORT_RECREATION: 4, SocietalDomain.MEDIA_ADVERTISING: 3,
    SocietalDomain.PRIVATE_SPHERE: 3, SocietalDomain.OTHER: 2,
}
NATURE_WEIGHTS = {
    Nature.DISPUTED_TREATMENT: 45, Nature.HOSTILE_TREATMENT: 35, Nature.THREAT: 8,
    Nature.VIOLENCE: 5, Nature.OTHER: 5, Nature.UNKNOWN: 2,
}
CHANNEL_WEIGHTS = {
    Channel.ONLINE: 55, Channel.PHONE: 20, Channel.EMAIL: 15, Channel.IN_PERSON: 7,
    Channel.LETTER: 3,
}
STATUS_WEIGHTS = {Status.CLOSED: 70, Status.IN_PROGRESS: 20, Status.NEW: 10}
# Approximate populations (x1000) of Drenthe's municipalities, to spread reports plausibly.
POPULATION = {
    "GM0114": 107, "GM0106": 68, "GM0118": 56, "GM0119": 34, "GM0109": 35, "GM1731": 33,
    "GM1730": 34, "GM1699": 32, "GM1680": 26, "GM1681": 25, "GM1690": 24, "GM1701": 19,
}
SITUATIONS = [
    "Bij een sollicitatie kreeg ik een afwijzing na een opmerking over mijn achtergrond.",
    "In de supermarkt werd ik anders behandeld dan andere klanten.",
    "Buren roepen steeds scheldwoorden naar ons gezin.",
    "Op school werd mijn kind gepest om het geloof en de leraar deed niets.",
    "Ik mocht een café niet in, terwijl mijn vrienden wel naar binnen mochten.",
    "Een verhuurder wilde niet aan mij verhuren na het horen van mijn naam.",
    "Op het werk worden grappen gemaakt over mijn beperking.",
    "Op straat werd ik bedreigd vanwege wie ik ben.",
]


def _pick(rng: random.Random, weights: dict) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


@transaction.atomic
def seed_demo_year(*, office: Office, year: int = 2020, count: int = 80,
                   seed: int = 2020) -> int:
    """Create ``count`` synthetic, counted complaints for ``year`` across the office's area.

    The default, 80 complaints in 2020, matches the number Meldpunt Discriminatie Drenthe
    reported for 2020 (CMO STAMM annual report 2020). Idempotent: if demo complaints for ``year``
    already exist, nothing is added. When the demo users exist (``create_demo_users``), the
    ``coordinator`` assigns the cases that are in progress or closed to the ``caseworker``.

    Returns:
        The number of complaints created (0 when the year was already seeded).
    """
    prefix = f"{DEMO_PREFIX}-{year}-"
    if Complaint.objects.filter(office=office, external_reference__startswith=prefix).exists():
        return 0
    rng = random.Random(seed)  # noqa: S311 - synthetic demo data, not security
    served = list(office.municipalities.values_list("code", flat=True))
    weights = {code: POPULATION.get(code, 20) for code in served}
    municipalities = Municipality.objects.in_bulk()
    elsewhere = [m for m in ("GM0014", "GM0363", "GM0193") if m in municipalities]
    start = datetime.datetime(year, 1, 1, 8, 0, tzinfo=AMSTERDAM)
    moments = sorted(start + datetime.timedelta(minutes=rng.randrange(0, 365 * 24 * 60))
                     for _ in range(count))
    users = {user.username: user for user in get_user_model().objects.filter(
        username__in=[COORDINATOR, CASEWORKER])}
    for number, received_at in enumerate(moments, start=1):
        roll = rng.random()
        residence = (_pick(rng, weights) if roll < 0.82 else
                     rng.choice(elsewhere) if roll < 0.88 and elsewhere else None)
        roll = rng.random()
        incident = (residence if residence in served and roll < 0.7 else
                    _pick(rng, weights) if roll < 0.85 else
                    rng.choice(elsewhere) if roll < 0.88 and elsewhere else None)
        status = _pick(rng, STATUS_WEIGHTS)
        classified = status != Status.NEW
        grounds = sorted({_pick(rng, GROUND_WEIGHTS)
                          for _ in range(1 if rng.random() < 0.85 else 2)}) if classified else []
        handling = ([Handling.REGISTRATION] if rng.random() < 0.4 else
                    sorted({Handling.ADVICE_INFORMATION,
                            rng.choice([Handling.MEDIATION, Handling.REFERRAL,
                                        Handling.ASSISTANCE_PROCEDURES])}))
        complaint = register_complaint(
            office=office, received_at=received_at, channel=_pick(rng, CHANNEL_WEIGHTS),
            contact_type=ContactType.COMPLAINT if rng.random() < 0.6 else ContactType.REPORT,
            status=status,
            incident_date=(received_at - datetime.timedelta(days=rng.randrange(0, 20))).date(),
            incident_municipality=municipalities.get(incident) if incident else None,
            reporter_residence=municipalities.get(residence) if residence else None,
            description=rng.choice(SITUATIONS) + " (synthetische demo-melding)",
            external_reference=f"{prefix}{number:03d}",
            grounds=grounds,
            societal_domain=_pick(rng, DOMAIN_WEIGHTS) if classified else "",
            nature=_pick(rng, NATURE_WEIGHTS) if classified else "",
            handling=handling if status == Status.CLOSED else [],
        )
        if status != Status.NEW and len(users) == 2:
            assign_complaint(complaint=complaint, actor=users[COORDINATOR],
                             assignee=users[CASEWORKER])
    return count
