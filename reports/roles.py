"""The back-office roles: groups that hold named permissions.

Views never test a role name; they test the permissions listed here
(``Complaint.Meta.permissions`` plus guardian object permissions granted on assignment).
"""

from django.utils.translation import gettext_lazy as _

CASEWORKER = "caseworker"
#: A desk coordinator: every coordinator right, for the cases of their own desk(s).
COORDINATOR = "coordinator"
#: An office (national) coordinator: a coordinator of every desk (``work_across_desks``) who
#: also manages desks, their staff and their municipalities (``manage_desks``).
OFFICE_COORDINATOR = "office_coordinator"
#: Municipal accounts: no complaint permissions at all. The global ``view_municipality_reports``
#: shows the portal in the menu; which municipalities' reports they see is the object permission of
#: the same name on each ``Municipality`` (``reports.services.reports.link_municipal_account``).
MUNICIPALITY = "municipality"

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
        "release_annual_reports",
        "view_exact_statistics",
        "export_national_report",
        "export_personal_data",
        "erase_personal_data",
        "manage_municipal_accounts",
        "manage_reminders",
        "manage_reply_templates",
        "manage_incidents",
        "bulk_change_complaints",
    ),
    MUNICIPALITY: ("view_municipality_reports",),
}
ROLE_PERMISSIONS[OFFICE_COORDINATOR] = (*ROLE_PERMISSIONS[COORDINATOR], "work_across_desks",
                                        "manage_desks")

ROLE_LABELS = {CASEWORKER: _("Caseworker"), COORDINATOR: _("Coordinator"),
               OFFICE_COORDINATOR: _("Office coordinator"), MUNICIPALITY: _("Municipality")}
