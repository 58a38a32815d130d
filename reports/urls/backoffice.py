"""Back-office URLs under ``/backoffice/``."""

from django.urls import path, register_converter

from reports.services.statistics import MAX_YEAR, MIN_YEAR
from reports.urls.auth import urlpatterns as auth_urlpatterns
from reports.views import (
    audit,
    case_detail,
    cases,
    desks,
    incidents,
    municipal_accounts,
    privacy,
    registration,
    reminders,
    reply_templates,
    statistics,
    worklist,
)


class CbsCodeConverter:
    regex = "GM[0-9]{4}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class FormatConverter:
    regex = "json|csv"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class ReportFormatConverter:
    regex = "pdf|csv|xlsx|json"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class StatisticsYearConverter:
    """A statistics year: four digits from ``MIN_YEAR`` to ``MAX_YEAR``
    (``reports.services.statistics``); any other year does not match, so the URL answers 404."""

    regex = "[0-9]{4}"

    def to_python(self, value: str) -> int:
        year = int(value)
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise ValueError(value)
        return year

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(CbsCodeConverter, "cbs")
register_converter(StatisticsYearConverter, "year")
register_converter(FormatConverter, "fmt")
register_converter(ReportFormatConverter, "rfmt")

app_name = "backoffice"
urlpatterns = [
    *auth_urlpatterns,  # login, logout, second factor, passwords
    path("", cases.complaint_list, name="complaint_list"),
    path("werkvoorraad/", worklist.worklist, name="worklist"),
    path("zaken/<uuid:public_id>/", case_detail.complaint_detail, name="complaint_detail"),
    path("zaken/<uuid:public_id>/classificeren/", case_detail.classify, name="classify"),
    path("zaken/<uuid:public_id>/status/", case_detail.change_status, name="change_status"),
    path("zaken/<uuid:public_id>/notitie/", case_detail.add_note, name="add_note"),
    path("zaken/<uuid:public_id>/incident/", case_detail.update_incident,
         name="update_incident"),
    path("zaken/<uuid:public_id>/koppelen/", case_detail.link_case, name="link_case"),
    path("zaken/<uuid:public_id>/koppelen/<uuid:other_id>/ontkoppelen/",
         case_detail.unlink_case, name="unlink_case"),
    path("zaken/<uuid:public_id>/toewijzen/", case_detail.assign, name="assign"),
    path("zaken/<uuid:public_id>/oppakken/", case_detail.claim, name="claim"),
    path("zaken/<uuid:public_id>/melder/", case_detail.update_reporter, name="update_reporter"),
    path("zaken/<uuid:public_id>/team/", case_detail.share, name="share"),
    path("zaken/<uuid:public_id>/loket/", case_detail.move_desk, name="move_desk"),
    path("zaken/<uuid:public_id>/bericht/", case_detail.record_message, name="record_message"),
    path("zaken/<uuid:public_id>/bijlagen/", case_detail.add_attachment, name="add_attachment"),
    path("zaken/<uuid:public_id>/bijlagen/<uuid:attachment_id>/",
         case_detail.download_attachment, name="download_attachment"),
    path("zaken/<uuid:public_id>/persoonsgegevens.zip", privacy.export_personal_data,
         name="export_personal_data"),
    path("zaken/<uuid:public_id>/persoonsgegevens/wissen/", privacy.erase_personal_data,
         name="erase_personal_data"),
    path("zaken/zoek/", case_detail.case_search, name="case_search"),
    path("zaken/ga/", case_detail.jump_to_case, name="jump_to_case"),
    path("registreren/", registration.register, name="register"),
    path("statistiek/", statistics.statistics, name="statistics"),
    path("statistiek/<year:year>.zip", statistics.statistics_zip, name="statistics_zip"),
    path("statistiek/<year:year>/<cbs:code>.<fmt:fmt>", statistics.statistics_file,
         name="statistics_file"),
    path("statistiek/<year:year>/vrijgeven/", statistics.release, name="release_reports"),
    path("statistiek/<year:year>/loket/<slug:code>/", statistics.desk_statistics,
         name="desk_statistics"),
    path("statistiek/run/<uuid:public_id>.json", statistics.run_status, name="run_status"),
    path("statistiek/<year:year>/landelijk.<rfmt:fmt>", statistics.national_report,
         name="national_report"),
    path("statistiek/rapport/<uuid:public_id>.<rfmt:fmt>", statistics.report_file,
         name="report_file"),
    path("statistiek/rapport/<uuid:public_id>/exact.<rfmt:fmt>", statistics.report_exact_file,
         name="report_exact_file"),
    path("export.csv", cases.export, {"fmt": "csv"}, name="export_csv"),
    path("export.xlsx", cases.export, {"fmt": "xlsx"}, name="export_xlsx"),
    path("dashboard/", cases.dashboard, name="dashboard"),
    path("audit/", audit.access_log, name="access_log"),
    path("gemeenteaccounts/", municipal_accounts.municipal_account_list,
         name="municipal_accounts"),
    path("gemeenteaccounts/<int:user_id>/koppelen/", municipal_accounts.link,
         name="municipal_account_link"),
    path("gemeenteaccounts/<int:user_id>/ontkoppelen/<cbs:code>/", municipal_accounts.unlink,
         name="municipal_account_unlink"),
    path("gemeenteaccounts/<int:user_id>/uitnodigen/", municipal_accounts.invite,
         name="municipal_account_invite"),
    path("gemeenteaccounts/<int:user_id>/deactiveren/", municipal_accounts.deactivate,
         name="municipal_account_deactivate"),
    path("herinneringen/", reminders.reminder_settings, name="reminder_settings"),
    path("antwoordsjablonen/", reply_templates.reply_template_list, name="reply_templates"),
    path("antwoordsjablonen/nieuw/", reply_templates.reply_template_edit,
         name="reply_template_new"),
    path("antwoordsjablonen/<int:template_id>/", reply_templates.reply_template_edit,
         name="reply_template_edit"),
    path("zaken/<uuid:public_id>/massamelding/", incidents.case_incident, name="case_incident"),
    path("zaken/bulk/", incidents.bulk_action, name="bulk_action"),
    path("taken/<uuid:public_id>/", incidents.case_job, name="case_job"),
    path("taken/<uuid:public_id>/opnieuw/", incidents.case_job_restart, name="case_job_restart"),
    path("massameldingen/", incidents.incident_list, name="incident_list"),
    path("massameldingen/nieuw/", incidents.incident_create, name="incident_create"),
    path("massameldingen/<uuid:public_id>/", incidents.incident_detail, name="incident_detail"),
    path("massameldingen/<uuid:public_id>/classificeren/", incidents.incident_classify,
         name="incident_classify"),
    path("massameldingen/<uuid:public_id>/antwoorden/", incidents.incident_reply,
         name="incident_reply"),
    path("massameldingen/<uuid:public_id>/afsluiten/", incidents.incident_close,
         name="incident_close"),
    path("massameldingen/<uuid:public_id>/zaken/<uuid:case_id>/verwijderen/",
         incidents.incident_remove_case, name="incident_remove_case"),
    path("loketten/", desks.desk_settings, name="desk_settings"),
]
