"""``manage.py create_demo_users``: a demo coordinator and caseworker, credentials printed."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.urls import reverse

from reports.services.accounts import create_demo_users


class Command(BaseCommand):
    help = ("Create or reset the demo users 'coordinator' and 'caseworker'; print passwords, "
            "authenticator secrets and recovery codes.")

    def handle(self, *args: object, **options: object) -> None:
        credentials = create_demo_users()
        self.stdout.write(f"Demo accounts for {settings.SITE_URL}{reverse('backoffice:login')} :")
        for username, found in credentials.items():
            self.stdout.write(f"  {username:<12} password: {found.password}")
            self.stdout.write(f"  {'':<12} authenticator key: {found.totp_secret}")
            self.stdout.write(f"  {'':<12} authenticator URI: {found.totp_uri}")
            self.stdout.write(f"  {'':<12} recovery codes: {' '.join(found.recovery_codes)}")
