"""Public URLs under ``/melden/``."""

from django.urls import path

from reports.views import followup, pages, public

app_name = "intake"
urlpatterns = [
    path("", public.report, name="report"),
    path("bedankt/", public.thanks, name="thanks"),
    path("opvolgen/", followup.followup, name="followup"),
    path("opvolgen/melding/", followup.followup_case, name="followup_case"),
    path("opvolgen/bericht/", followup.followup_message, name="followup_message"),
    path("opvolgen/bestanden/", followup.followup_files, name="followup_files"),
    path("opvolgen/afsluiten/", followup.followup_close, name="followup_close"),
    path("privacy/", pages.privacy, name="privacy"),
]
