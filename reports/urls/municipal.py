"""Municipal portal URLs under ``/gemeente/``."""

from django.urls import path

from reports.urls import backoffice  # noqa: F401 - registers the "rfmt" path converter
from reports.views import municipal

app_name = "municipal"
urlpatterns = [
    path("", municipal.reports, name="reports"),
    path("rapport/<uuid:public_id>.<rfmt:fmt>", municipal.report_file, name="report_file"),
]
