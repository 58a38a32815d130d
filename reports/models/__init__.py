"""Models of the reports app, split by subject."""

from .complaint import (
    CaseNumberSequence,
    Complaint,
    ComplaintGround,
    ComplaintGroupObjectPermission,
    ComplaintHandling,
    ComplaintHistory,
    ComplaintUserObjectPermission,
    Note,
)
from .reference import Municipality, MunicipalityMerger, Office
from .statistics import AnnualSnapshot, StatisticsRun

__all__ = [
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
