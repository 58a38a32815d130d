"""Teams of caseworkers. A case shared with a team is visible to all its members."""

from django.contrib.auth.models import Group
from django.db import models
from django.utils.translation import gettext_lazy as _


class Team(models.Model):
    """A team, backed by an auth ``Group`` whose members are the team's caseworkers.

    Sharing a case with the team grants the group guardian object permissions on that case.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    group = models.OneToOneField(Group, on_delete=models.PROTECT, related_name="team")
    #: The desk the team works for: cases can be shared only with teams of their own desk.
    desk = models.ForeignKey("reports.Desk", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="teams", verbose_name=_("desk"))

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name
