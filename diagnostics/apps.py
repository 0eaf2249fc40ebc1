from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class DiagnosticsConfig(AppConfig):
    name = "diagnostics"
    verbose_name = "Diagnostics"

    def ready(self) -> None:
        from diagnostics import checks  # noqa: F401  (registers the guide system check)
        from diagnostics.embed.links import embed_page_links
        from diagnostics.flow.links import site_page_links
        from diagnostics.learning.evidence import forget_evidence
        from diagnostics.models import forget_parsed_guides
        from ops.errors import register_page_links

        # ``flush`` empties the tables and sends post_migrate: version keys
        # may then be handed out again, so parsed guides cached by key must go.
        post_migrate.connect(forget_parsed_guides, sender=self, dispatch_uid="forget_parsed_guides")
        # Likewise a process's cached evidence: the rows it was read from are gone.
        post_migrate.connect(forget_evidence, sender=self, dispatch_uid="forget_evidence")
        # Where the edge's error pages (429, 503, 500) lead: inside the iframe
        # under /embed/, else to the guide a post was about (ops.errors).
        register_page_links(embed_page_links)
        register_page_links(site_page_links)
