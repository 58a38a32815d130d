"""``manage.py rotate_encryption_keys``: re-encrypt all data at rest with the first key of
FIELD_ENCRYPTION_KEYS (procedure in docs/security.md)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from reports.services.encryption import BATCH_SIZE, rotate_encryption_keys


class Command(BaseCommand):
    help = ("Re-encrypt every encrypted column and attachment file with the first key of "
            "FIELD_ENCRYPTION_KEYS and rebuild the search index. Safe to run again.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE,
                            help=f"rows per transaction (default {BATCH_SIZE})")

    def handle(self, *args: object, batch_size: int = BATCH_SIZE, **options: object) -> None:
        result = rotate_encryption_keys(batch_size=batch_size)
        self.stdout.write(
            f"Re-encrypted {result.values} value(s) ({result.values_current} already current) "
            f"and {result.files} file(s) ({result.files_current} already current, "
            f"{result.files_missing} missing); rebuilt {result.indexes} search index(es).")
