"""Publishing a checked guide as its guide's current version."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from diagnostics.catalog.files import GuideFile
from diagnostics.models import Guide, GuideVersion


@dataclass(frozen=True)
class Published:
    slug: str
    number: int
    created: bool  # False when the file was unchanged


def publish_guide(*, guide_file: GuideFile) -> Published:
    """Store a validated guide file as its guide's current version.

    Idempotent: a file already stored (same checksum) publishes nothing, and
    leaves the current version as it is, so a version published in the admin
    (diagnostics/authoring/) stays current when ``load_guides`` runs again at
    the next start. A changed file becomes a new version; diagnoses already
    started keep theirs.
    """
    parsed = guide_file.guide
    with transaction.atomic():
        guide, _ = Guide.objects.select_for_update().get_or_create(
            slug=parsed.slug, defaults={"title": parsed.title, "summary": parsed.summary}
        )
        version = guide.versions.filter(checksum=guide_file.checksum).first()
        if version is not None and guide.current_version_id is not None:
            number = guide.current_version.number if guide.current_version else version.number
            return Published(slug=guide.slug, number=number, created=False)
        created = version is None
        if created:
            latest = guide.versions.order_by("-number").first()
            version = GuideVersion.objects.create(
                guide=guide,
                number=(latest.number + 1) if latest else 1,
                checksum=guide_file.checksum,
                source=guide_file.source,
                data=guide_file.data,
            )
        guide.title, guide.summary, guide.current_version = parsed.title, parsed.summary, version
        guide.save(update_fields=["title", "summary", "current_version"])
    return Published(slug=guide.slug, number=version.number, created=created)
