"""Back-office URLs under ``/backoffice/``."""

from django.contrib.auth import views as auth_views
from django.urls import path, register_converter

from reports.views import case_detail, cases, statistics


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


register_converter(CbsCodeConverter, "cbs")
register_converter(FormatConverter, "fmt")

app_name = "backoffice"
urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True),
         name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", cases.complaint_list, name="complaint_list"),
    path("zaken/<uuid:public_id>/", case_detail.complaint_detail, name="complaint_detail"),
    path("zaken/<uuid:public_id>/classificeren/", case_detail.classify, name="classify"),
    path("zaken/<uuid:public_id>/status/", case_detail.change_status, name="change_status"),
    path("zaken/<uuid:public_id>/notitie/", case_detail.add_note, name="add_note"),
    path("zaken/<uuid:public_id>/toewijzen/", case_detail.assign, name="assign"),
    path("zaken/<uuid:public_id>/oppakken/", case_detail.claim, name="claim"),
    path("statistiek/", statistics.statistics, name="statistics"),
    path("statistiek/<int:year>.zip", statistics.statistics_zip, name="statistics_zip"),
    path("statistiek/<int:year>/<cbs:code>.<fmt:fmt>", statistics.statistics_file,
         name="statistics_file"),
]
