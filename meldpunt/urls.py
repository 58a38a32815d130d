"""Top-level URL configuration."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="intake:report", permanent=False)),
    path("melden/", include("reports.urls.public")),
    path("backoffice/", include("reports.urls.backoffice")),
    path("gemeente/", include("reports.urls.municipal")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

handler403 = "reports.views.errors.permission_denied"
