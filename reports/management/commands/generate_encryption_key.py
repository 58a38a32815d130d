"""``manage.py generate_encryption_key``: print a new Fernet key for FIELD_ENCRYPTION_KEYS."""

from __future__ import annotations

from cryptography.fernet import Fernet
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = ("Print a new random Fernet key (32 bytes, URL-safe base64) for "
            "FIELD_ENCRYPTION_KEYS. See docs/security.md for rotation.")

    requires_system_checks: list[str] = []

    def handle(self, *args: object, **options: object) -> None:
        self.stdout.write(Fernet.generate_key().decode("ascii"))
