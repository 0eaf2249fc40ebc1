"""The database-backed rate-limit counter, used when no Redis is configured."""

from __future__ import annotations

from django.db import models


class RateLimitCounter(models.Model):
    """POSTs seen from one client in one time window.

    ``bucket`` names the window and a keyed hash of the client address, so no
    address is stored. Rows of past windows are pruned as new ones are counted.
    """

    bucket = models.CharField(max_length=80, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    expires = models.BigIntegerField(db_index=True, help_text="Unix time the window ends.")

    class Meta:
        db_table = "ops_rate_limit_counter"

    def __str__(self) -> str:
        return f"{self.bucket}: {self.count}"
