"""Public URLs under ``/melden/``."""

from django.urls import path

from reports.views import public

app_name = "intake"
urlpatterns = [
    path("", public.report, name="report"),
    path("bedankt/", public.thanks, name="thanks"),
]
