"""Rate-limit counters for the public pages, shared by every web process through the database."""

from __future__ import annotations

from django.db import models


class Throttle(models.Model):
    """Failures or requests counted for one (scope, key) in the current window.

    ``key_hash`` is a keyed hash of the key (an IP address or a receipt-code prefix), so no IP
    address is stored. ``blocked_until`` is set once the count passes the scope's free allowance
    (``reports.throttling``).
    """

    scope = models.CharField(max_length=30)
    key_hash = models.CharField(max_length=64)
    count = models.PositiveIntegerField(default=0)
    window_started = models.DateTimeField()
    blocked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key_hash"], name="unique_throttle_key"),
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key_hash[:8]} {self.count}"
