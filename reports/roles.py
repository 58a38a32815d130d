"""The back-office roles: groups that hold named permissions.

Views never test a role name; they test the permissions listed here
(``Complaint.Meta.permissions`` plus guardian object permissions granted on assignment).
"""

from django.utils.translation import gettext_lazy as _

CASEWORKER = "caseworker"
COORDINATOR = "coordinator"

#: Role (group name) -> permission codenames in the ``reports`` app.
ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    CASEWORKER: (
        "view_unassigned_complaints",
        "claim_complaint",
        "view_reporter_contact",
        "register_complaint",
    ),
    COORDINATOR: (
        "view_all_complaints",
        "view_unassigned_complaints",
        "change_all_complaints",
        "claim_complaint",
        "assign_complaint",
        "view_reporter_contact",
        "run_annual_statistics",
        "register_complaint",
        "share_complaint",
        "export_complaints",
        "view_access_log",
        "view_dashboard",
    ),
}

ROLE_LABELS = {CASEWORKER: _("Caseworker"), COORDINATOR: _("Coordinator")}
