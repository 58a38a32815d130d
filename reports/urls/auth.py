"""Logging in and out, the second factor and passwords; part of the ``backoffice`` namespace.

``reports.urls.backoffice`` includes these patterns. The names here that may be used before the
second factor are listed in ``reports.security.SECOND_FACTOR_EXEMPT``.
"""

from django.contrib.auth import views as django_auth_views
from django.urls import path

from reports.views import auth

urlpatterns = [
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    path("tweestaps/", auth.second_factor, name="second_factor"),
    path("tweestaps/instellen/", auth.second_factor_enrol, name="second_factor_enrol"),
    path("tweestaps/herstelcodes/", auth.recovery_codes, name="recovery_codes"),
    path("wachtwoord/vergeten/", auth.PasswordResetView.as_view(), name="password_reset"),
    path("wachtwoord/vergeten/verstuurd/", django_auth_views.PasswordResetDoneView.as_view(),
         name="password_reset_done"),
    path("wachtwoord/herstellen/<uidb64>/<token>/", auth.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("wachtwoord/hersteld/", django_auth_views.PasswordResetCompleteView.as_view(),
         name="password_reset_complete"),
    path("welkom/<uidb64>/<token>/", auth.InvitationView.as_view(), name="invitation"),
    path("wachtwoord/wijzigen/", auth.PasswordChangeView.as_view(), name="password_change"),
    path("wachtwoord/gewijzigd/", django_auth_views.PasswordChangeDoneView.as_view(),
         name="password_change_done"),
]
