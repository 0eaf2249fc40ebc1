"""Django finds admin registrations here; they live with the capability they serve."""

from __future__ import annotations

from diagnostics.authoring import admin as authoring_admin  # noqa: F401  (drafts, author log)
from diagnostics.embed import admin as embed_admin  # noqa: F401  (registers embedding sites)
from diagnostics.insight import (
    admin,  # noqa: F401  (registers diagnoses, guides, fix results)
    tickets,  # noqa: F401  (registers tickets and feedback)
)
