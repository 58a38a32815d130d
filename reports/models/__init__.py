"""Models of the reports app, split by subject."""

from .audit import AccessLog
from .complaint import (
    Attachment,
    CaseNumberSequence,
    Complaint,
    ComplaintGround,
    ComplaintGroupObjectPermission,
    ComplaintHandling,
    ComplaintHistory,
    ComplaintUserObjectPermission,
    Message,
    Note,
)
from .reference import Municipality, MunicipalityMerger, Office
from .statistics import AnnualSnapshot, StatisticsRun
from .team import Team

__all__ = [
    "AccessLog",
    "Attachment",
    "Message",
    "Team",
    "AnnualSnapshot",
    "CaseNumberSequence",
    "Complaint",
    "ComplaintGround",
    "ComplaintGroupObjectPermission",
    "ComplaintHandling",
    "ComplaintHistory",
    "ComplaintUserObjectPermission",
    "Municipality",
    "MunicipalityMerger",
    "Note",
    "Office",
    "StatisticsRun",
]
