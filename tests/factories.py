"""factory_boy factories. All data is synthetic."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from reports.roles import CASEWORKER, COORDINATOR, OFFICE_COORDINATOR
from reports.services.complaints import register_complaint
from reports.services.reference import current_office
from reports.vocabulary import Channel, ContactType, Status

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    """A staff account without any role."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.invalid")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def roles(self, create: bool, extracted: list[str] | None, **kwargs: object) -> None:
        """``UserFactory(roles=["caseworker"])`` adds the user to those role groups; staff roles
        also make them a member of the default desk (or ``desk=``)."""
        if extracted:
            self.groups.add(*Group.objects.filter(name__in=extracted))
            if {CASEWORKER, COORDINATOR} & set(extracted):
                _join_desk(self, None)

    @factory.post_generation
    def desk(self, create: bool, extracted: object, **kwargs: object) -> None:
        """``desk=<Desk>``: the desk the user belongs to; by default the office's default desk
        (like every migrated staff user), ``desk=False``: no desk at all."""
        if extracted is False:
            self._no_desk = True
            self.desks.clear()
        elif extracted is not None:
            self.desks.set([extracted])
        else:
            _join_desk(self, None)


def _join_desk(user, desk: object) -> None:
    """Users join the default desk (when reference data is loaded) unless already in a desk."""
    from reports.models import Desk

    default = Desk.objects.filter(is_default=True).order_by("pk").first()
    if default is not None and not getattr(user, "_no_desk", False) and not user.desks.exists():
        default.members.add(user)


class CaseworkerFactory(UserFactory):
    @factory.post_generation
    def roles(self, create: bool, extracted: object, **kwargs: object) -> None:
        self.groups.add(Group.objects.get(name=CASEWORKER))
        _join_desk(self, None)


class CoordinatorFactory(UserFactory):
    @factory.post_generation
    def roles(self, create: bool, extracted: object, **kwargs: object) -> None:
        self.groups.add(Group.objects.get(name=COORDINATOR))
        _join_desk(self, None)


class OfficeCoordinatorFactory(UserFactory):
    """An office (national) coordinator: every desk (``work_across_desks``), in no desk."""

    @factory.post_generation
    def roles(self, create: bool, extracted: object, **kwargs: object) -> None:
        self.groups.add(Group.objects.get(name=OFFICE_COORDINATOR))


def make_desk(code: str, name: str, municipalities: tuple[str, ...] = (),
              valid_from: datetime.date = datetime.date(2000, 1, 1)):
    """A second desk of the office serving ``municipalities`` (CBS codes) from ``valid_from``;
    those municipalities' open-ended periods at other desks end the day before."""
    from reports.models import Desk, DeskMunicipality

    desk = Desk.objects.create(office=current_office(), code=code, name=name)
    for municipality in municipalities:
        DeskMunicipality.objects.filter(municipality_id=municipality, valid_to__isnull=True,
                                        valid_from__lt=valid_from).update(
            valid_to=valid_from - datetime.timedelta(days=1))
        DeskMunicipality.objects.filter(municipality_id=municipality,
                                        valid_from__gte=valid_from).delete()
        DeskMunicipality.objects.create(desk=desk, municipality_id=municipality,
                                        valid_from=valid_from)
    return desk


class ComplaintFactory(factory.Factory):
    """A complaint registered through ``register_complaint`` (so it gets a real case number)."""

    class Meta:
        model = dict

    office = factory.LazyFunction(current_office)
    description = factory.Sequence(lambda n: f"Synthetic incident description {n}.")
    channel = Channel.ONLINE
    contact_type = ContactType.REPORT
    status = Status.NEW
    received_at = factory.LazyFunction(
        lambda: datetime.datetime(2020, 6, 15, 12, 0, tzinfo=AMSTERDAM))
    incident_municipality = None
    reporter_residence = None
    grounds: tuple[str, ...] = ()
    handling: tuple[str, ...] = ()
    societal_domain = ""
    nature = ""

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from reports.models import Municipality

        for field in ("incident_municipality", "reporter_residence"):
            if isinstance(kwargs.get(field), str):
                kwargs[field] = Municipality.objects.get(code=kwargs[field])
        return register_complaint(**kwargs)

    _build = _create
