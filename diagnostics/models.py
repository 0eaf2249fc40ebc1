"""Guides, their immutable versions, and each person's diagnosis.

A :class:`Diagnosis` has its own UUID key. The browser's session only holds
that id, so a session that expires or is deleted never takes an outcome with it.
The transcript is rebuilt from :class:`Answer` and :class:`FixAttempt` rows;
``Diagnosis.journal`` keeps the same answers in order, so the current step can
be worked out from the diagnosis row alone.
"""

from __future__ import annotations

import contextlib
import secrets
import uuid
from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Value
from django.utils import timezone

from diagnostics import engine
from helpdesk.env import parse_origin

# Parsed guides by GuideVersion pk, with the checksum they were parsed from.
# Versions are never edited, and a running database never hands out a key
# twice (AUTOINCREMENT on SQLite, a sequence on PostgreSQL), so an entry stays
# right for the life of the process. Emptying a database does reuse keys:
# ``flush`` (and so each test) forgets the cache through ``post_migrate``
# (diagnostics/apps.py), and web workers are restarted after restoring a backup.
_PARSED: dict[int, tuple[str, engine.Guide]] = {}


def guide_for_version(version_id: int) -> engine.Guide:
    """The parsed guide of a version: one query the first time in a process, then none.

    The one way to a version's parsed guide, so every part of the app sees the
    same parse and pays for it once.
    """
    cached = _PARSED.get(version_id)
    if cached is None:
        checksum, data = GuideVersion.objects.values_list("checksum", "data").get(pk=version_id)
        cached = _PARSED[version_id] = (checksum, engine.parse_guide(data))
    return cached[1]


def forget_parsed_guides(**_: object) -> None:
    """Empty the cache of parsed guides (also a ``post_migrate`` receiver)."""
    _PARSED.clear()


# No 0/O, 1/I/L: easy to read out over the phone.
SUPPORT_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_support_code() -> str:
    """A short code such as ``K7P-4QX`` that a person can read out to support."""
    raw = "".join(secrets.choice(SUPPORT_CODE_ALPHABET) for _ in range(6))
    return f"{raw[:3]}-{raw[3:]}"


def new_seed() -> int:
    """The seed of a diagnosis's one exploration draw (see ``Diagnosis.seed``)."""
    return secrets.randbelow(2**31)


# Guides whose slug starts with this hold the drafts staff preview in the admin
# (diagnostics.authoring.preview): never current, never listed, never counted.
PREVIEW_SLUG_PREFIX = "preview-draft-"


class Guide(models.Model):
    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    current_version = models.ForeignKey(
        "GuideVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    pin_author_order = models.BooleanField(
        "pin the author's order",
        default=False,
        db_default=False,
        help_text="Offer fixes in the order the guide's own chances and minutes give. Results"
        " are still recorded, but the ranking does not use them while this is on.",
    )

    class Meta:
        ordering: ClassVar = ["title"]

    def __str__(self) -> str:
        return self.title


class GuideVersion(models.Model):
    """One published version of a guide file. Never edited after it is loaded."""

    guide = models.ForeignKey(Guide, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    checksum = models.CharField(max_length=64, help_text="SHA-256 of the guide file.")
    source = models.TextField(help_text="The guide file exactly as loaded.")
    data = models.JSONField()
    loaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["guide", "-number"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["guide", "number"], name="unique_guide_version"),
            models.UniqueConstraint(fields=["guide", "checksum"], name="unique_guide_checksum"),
        ]

    def __str__(self) -> str:
        return f"{self.guide.slug} v{self.number}"


def validate_origin(value: str) -> None:
    """The rule ``HELPDESK_EMBED_ORIGINS`` follows (:func:`helpdesk.env.parse_origin`)."""
    try:
        parse_origin(value)
    except ValueError:
        raise ValidationError(
            "Enter an exact origin such as https://shop.example.com: http or https, the host,"
            " and a port if it has one. No path, no trailing slash, no wildcard.",
            code="origin",
        ) from None


class EmbedSite(models.Model):
    """Another website allowed to show the guides in an iframe, managed by staff.

    The active ones are merged with ``HELPDESK_EMBED_ORIGINS``
    (:mod:`diagnostics.embed.sites`). Its accent and scheme theme the frame
    (:mod:`diagnostics.embed.theme`, which also checks the accent's contrast).
    """

    class Scheme(models.TextChoices):
        AUTO = "auto", "Follow the visitor's device (light or dark)"
        LIGHT = "light", "Always light"
        DARK = "dark", "Always dark"

    origin = models.CharField(
        max_length=200,
        unique=True,
        validators=[validate_origin],
        help_text="The site's exact origin, as its address bar shows it: https://shop.example.com",
    )
    name = models.CharField(max_length=100, help_text="For staff: whose site this is.")
    active = models.BooleanField(
        default=True, help_text="Untick to stop this site from showing the help desk."
    )
    accent = models.CharField(
        "accent colour",
        max_length=7,
        blank=True,
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", "Enter a colour such as #1559c2.")],
        help_text="Buttons, links and the progress bar, as #rrggbb. Empty: the help desk's own.",
    )
    scheme = models.CharField(
        "colour scheme", max_length=8, choices=Scheme.choices, default=Scheme.AUTO
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["name"]
        verbose_name = "embedding site"

    def __str__(self) -> str:
        return f"{self.name} ({self.origin})"

    def clean(self) -> None:
        with contextlib.suppress(ValueError):  # else the field's validator says why
            self.origin = parse_origin(self.origin)  # lower-cased, as browsers send it
        self.accent = self.accent.lower()


class Diagnosis(models.Model):
    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        RESOLVED = "resolved", "Resolved"
        ESCALATED = "escalated", "Escalated"
        ABANDONED = "abandoned", "Abandoned"

    class Kind(models.TextChoices):
        LIVE = "live", "Live"
        DEMO = "demo", "Demo data"
        PREVIEW = "preview", "Preview"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    guide_version = models.ForeignKey(
        GuideVersion, on_delete=models.PROTECT, related_name="diagnoses"
    )
    # Indexed with ``created`` (Meta.indexes): a status alone uses it too.
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.IN_PROGRESS)
    support_code = models.CharField(max_length=7, unique=True, default=new_support_code)
    last_step = models.CharField(max_length=120, blank=True)
    revision = models.PositiveIntegerField(
        default=0, help_text="Bumped on every change; guards against double submits."
    )
    journal = models.JSONField(
        default=list,
        # Also a database default: while an upgrade rolls out, workers of the
        # release before this field still insert diagnoses without it.
        db_default=Value([], output_field=models.JSONField()),
        blank=True,
        help_text='The answers and fix results in order, e.g. [["question", "storage", "full"],'
        ' ["fix", "restart", "not_fixed"]]. Written with every change, together with the'
        " Answer or FixAttempt row it mirrors.",
    )
    started_over = models.BooleanField(
        default=False,
        db_default=False,
        help_text="The person started over from this diagnosis: a newer one replaced it.",
    )
    embed_site = models.ForeignKey(
        EmbedSite,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="diagnoses",
        verbose_name="embedding site",
        help_text="The staff-managed site whose iframe it ran in (checked against the allowed"
        " list), or empty: on the help desk itself, or a site known only from the environment.",
    )
    # The fields below came with the learned ranking. Each has a database
    # default, so workers of the release before still insert diagnoses.
    kind = models.CharField(
        max_length=8,
        choices=Kind.choices,
        default=Kind.LIVE,
        db_default=Kind.LIVE,
        help_text="Only live diagnoses teach the ranking; demo and preview ones never count.",
    )
    seed = models.PositiveIntegerField(
        default=new_seed,
        db_default=0,
        help_text="Seeds the one exploration draw of this diagnosis, so its order of fixes"
        " is the same on every worker.",
    )
    plan = models.JSONField(
        default=dict,
        db_default=Value({}, output_field=models.JSONField()),
        blank=True,
        help_text="The plan chosen in each context reached, by context key: the order of"
        " steps stays put across reloads, Back and workers. Written with every change.",
    )
    network = models.CharField(
        max_length=64,
        blank=True,
        default="",
        db_default="",
        help_text="A keyed hash of the client network that started it (never the address):"
        " its daily evidence quota, should the diagnosis be abandoned.",
    )
    taught_tick = models.BigIntegerField(
        null=True,
        blank=True,
        help_text="Set while this diagnosis's ending counts in the evidence: the guide's"
        " evidence tick it was recorded at (so going Back can take it out again).",
    )
    # --- step events (see StepEvent): when the current step was shown, and
    # which diagnosis replaced this one on Start over. Both nullable, so
    # workers of the release before still insert diagnoses.
    step_shown_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the current step was shown: the time a step event's seconds count from."
        " Written with every change.",
    )
    replaced_by = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replaced",
        help_text="The diagnosis the person opened when they started over from this one.",
    )
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["-created"]
        verbose_name_plural = "diagnoses"
        indexes: ClassVar = [
            # The admin's list filtered by status, newest first, without
            # sorting every diagnosis of that status.
            models.Index(fields=["status", "created"], name="diagnosis_by_status_created"),
            # The dashboard reads one day of live (or demo) diagnoses at a time.
            models.Index(fields=["kind", "created"], name="diagnosis_by_kind_day"),
        ]
        permissions: ClassVar = [
            ("export_diagnosis", "Can export diagnoses as CSV"),
        ]

    def __str__(self) -> str:
        return self.support_code


class Answer(models.Model):
    diagnosis = models.ForeignKey(Diagnosis, on_delete=models.CASCADE, related_name="answers")
    position = models.PositiveSmallIntegerField(help_text="Order within the diagnosis.")
    question = models.CharField(max_length=80)
    choice = models.CharField(max_length=80)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["position"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["diagnosis", "question"], name="one_answer_per_question"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.question} = {self.choice}"


class FixAttempt(models.Model):
    class Result(models.TextChoices):
        FIXED = engine.Result.FIXED, "Fixed it"
        NOT_FIXED = engine.Result.NOT_FIXED, "Did not fix it"
        CANNOT = engine.Result.CANNOT, "Could not do it"

    diagnosis = models.ForeignKey(Diagnosis, on_delete=models.CASCADE, related_name="attempts")
    position = models.PositiveSmallIntegerField(help_text="Order within the diagnosis.")
    fix = models.CharField(max_length=80, db_index=True)
    result = models.CharField(max_length=16, choices=Result.choices)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["position"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["diagnosis", "fix"], name="one_attempt_per_fix"),
        ]

    def __str__(self) -> str:
        return f"{self.fix}: {self.result}"


# --- what people were shown and did, step by step ------------------------------


class StepEvent(models.Model):
    """One thing that happened at one step of a diagnosis: append-only.

    Answers and fix attempts are rows that Back deletes; these are never
    changed or deleted by the flow (only ``purge_diagnoses`` removes them with
    their diagnosis). The funnel, the time per step and the transcript read
    them. Each is written in the same transaction as the post that produced
    it: an answer writes ``answered`` for the step it answered and ``shown``
    for the step that comes next; Back writes ``back`` and the ``shown`` of the
    step it returned to; starting writes ``shown`` for the first step.
    """

    class Action(models.TextChoices):
        SHOWN = "shown", "Shown"
        ANSWERED = "answered", "Answered"
        BACK = "back", "Went back"
        START_OVER = "start_over", "Started over"

    diagnosis = models.ForeignKey(
        Diagnosis, on_delete=models.CASCADE, related_name="step_events", db_index=False
    )
    # Copied from the diagnosis so the dashboard can count per guide version
    # and day without joining every row.
    guide_version = models.ForeignKey(
        GuideVersion, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    action = models.CharField(max_length=16, choices=Action.choices)
    step = models.CharField(max_length=120, help_text="The step key, e.g. fix:restart.")
    choice = models.CharField(
        max_length=80, blank=True, help_text="The answer or fix result, for answered."
    )
    position = models.PositiveSmallIntegerField(
        help_text="How many answers and fix results the journal held when it happened."
    )
    seconds = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="For answered and back: seconds since this step was shown.",
    )
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["diagnosis", "id"]
        indexes: ClassVar = [
            models.Index(fields=["diagnosis", "id"], name="step_event_by_diagnosis"),
            models.Index(fields=["guide_version", "created"], name="step_event_by_version_day"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.step}"


# --- the learned ranking's evidence --------------------------------------------


class Evidence(models.Model):
    """One line of a guide's evidence rollup: what ended diagnoses taught, summed.

    Keyed by the guide's slug (fix ids stay the same across versions, so the
    evidence carries over), a context (the answers on the path,
    ``engine.context_key``), a kind of tally and its key (``engine.Tally``).
    ``count`` is the true number of diagnoses; ``weight`` the same, discounted
    for age and stored scaled (see :class:`EvidenceClock`).
    """

    guide = models.ForeignKey(
        Guide,
        on_delete=models.CASCADE,
        to_field="slug",
        db_column="guide_slug",
        related_name="evidence",
        db_index=False,  # the unique constraint's index starts with it
    )
    context = models.TextField(blank=True)
    kind = models.CharField(max_length=16)
    key = models.TextField()
    count = models.IntegerField(default=0)
    weight = models.FloatField(default=0.0)

    class Meta:
        verbose_name_plural = "evidence"
        constraints: ClassVar = [
            # Also the index the one read per guide uses (its first column).
            models.UniqueConstraint(
                fields=["guide", "context", "kind", "key"], name="unique_evidence_line"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.guide_id} [{self.context}] {self.kind} {self.key}: {self.count}"


class EvidenceClock(models.Model):
    """A guide's count of ended diagnoses that taught it: forgetting goes by this tick.

    A diagnosis recorded at tick ``t`` adds ``2 ** ((t - base) / half_life)``
    to the weights it touches, so the stored weights never need rewriting as
    time goes by: the weight of a line today is its stored weight times
    ``2 ** -((tick - base) / half_life)``. When that factor grows large the
    weights are scaled down once and ``base`` moves up to ``tick``.
    """

    guide = models.OneToOneField(
        Guide,
        on_delete=models.CASCADE,
        to_field="slug",
        db_column="guide_slug",
        primary_key=True,
        related_name="evidence_clock",
    )
    tick = models.BigIntegerField(default=0)
    base = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.guide_id}: tick {self.tick}"


class EvidenceQuota(models.Model):
    """How many ended diagnoses one client network taught on one day (UTC).

    ``network`` is a keyed hash of the client's IPv4 address or IPv6 /64
    (``ops.ratelimit.client_network``), never the address itself.
    """

    network = models.CharField(max_length=64)
    day = models.DateField(db_index=True)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["network", "day"], name="unique_quota_network_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day}: {self.count}"


# --- support: tickets and feedback (diagnostics/support/) ----------------------


class Ticket(models.Model):
    """A person's request for a human, sent from the escalation screen.

    One per diagnosis: the diagnosis carries the transcript and the support
    code. The contact details and message are erased by ``purge_diagnoses``
    once ``HELPDESK_CONTACT_RETENTION_DAYS`` have passed (``erased`` is then set).
    """

    class Status(models.TextChoices):
        NEW = "new", "New"
        IN_PROGRESS = "in_progress", "In progress"
        CLOSED = "closed", "Closed"

    diagnosis = models.OneToOneField(Diagnosis, on_delete=models.CASCADE, related_name="ticket")
    name = models.CharField(max_length=100, blank=True)
    email = models.EmailField(max_length=254, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    message = models.TextField(blank=True, max_length=2000)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.NEW, db_index=True
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
    )
    notes = models.TextField(
        "staff notes", blank=True, help_text="For staff only; never shown to the person."
    )
    erased = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the contact details and message were erased by purge_diagnoses.",
    )
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["-created"]

    def __str__(self) -> str:
        return f"Ticket {self.diagnosis.support_code}"


class Feedback(models.Model):
    """The answer to "Was this helpful?" on an end screen: one per diagnosis."""

    diagnosis = models.OneToOneField(Diagnosis, on_delete=models.CASCADE, related_name="feedback")
    helpful = models.BooleanField()
    comment = models.TextField(blank=True, max_length=1000)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "feedback"
        # The dashboard reads the latest comments, and the answers given since
        # the last roll-up, newest first by this index (never all of them).
        indexes: ClassVar = [models.Index(fields=["created"], name="feedback_by_created")]

    def __str__(self) -> str:
        return "Helpful" if self.helpful else "Not helpful"


# --- the staff dashboard's daily rollups ----------------------------------------


class DailyRollup(models.Model):
    """The dashboard's figures for the diagnoses started on one closed day, in one slice.

    A slice is a guide version, an embedding site (or none) and live or demo
    data. ``figures`` holds counts that add up across days and slices
    (:mod:`diagnostics.insight.rollups`): outcomes, per fix, per step, and
    time as bucketed histograms (medians cannot be added up). Rows hold no
    personal data and no link to a diagnosis, so ``purge_diagnoses`` keeps them.
    """

    day = models.DateField()
    guide_version = models.ForeignKey(GuideVersion, on_delete=models.PROTECT, related_name="+")
    embed_site = models.ForeignKey(
        EmbedSite, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    demo = models.BooleanField(default=False)
    figures = models.JSONField(default=dict)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["day"], name="daily_rollup_by_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.guide_version_id}"


class RollupWatermark(models.Model):
    """The last day whose rollup is stored (one row): later days are counted live."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    through = models.DateField()
    built = models.DateTimeField(default=timezone.now)
    # "Was this helpful?" answers created before this moment are in the stored
    # rows; those created since, for the stored days, are counted live. None:
    # the stored rows hold no answers yet (rolled up before they were).
    feedback_before = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"rolled up through {self.through}"


# --- authoring: drafts in the admin and who did what -----------------------------


class GuideDraft(models.Model):
    """A guide being written or changed in the admin; published as a new GuideVersion.

    ``data`` is the guide as plain data, in the guide-file shape (what
    ``tomllib`` reads from a guide file), so the one validator checks it.
    ``base_version`` is the version it was copied from (None for a new guide).
    ``revision`` is bumped on every save: a form from an older page changes nothing.
    """

    slug = models.SlugField(help_text="The guide's slug: its address and its file name.")
    base_version = models.ForeignKey(
        GuideVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    data = models.JSONField(default=dict)
    revision = models.PositiveIntegerField(default=0)
    published_version = models.ForeignKey(
        GuideVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        "auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["-updated"]
        verbose_name = "guide draft"
        permissions: ClassVar = [
            ("publish_guidedraft", "Can publish guide drafts and roll guides back"),
        ]

    def __str__(self) -> str:
        title = self.data.get("guide", {}).get("title", "") if isinstance(self.data, dict) else ""
        return f"{self.slug}: {title}" if title else self.slug


class AuthorLogEntry(models.Model):
    """Who created, edited, published or rolled back which guide, and when. Append-only."""

    class Action(models.TextChoices):
        CREATED = "created", "Created a draft"
        EDITED = "edited", "Edited a draft"
        IMPORTED = "imported", "Imported a guide file"
        PUBLISHED = "published", "Published"
        ROLLED_BACK = "rolled_back", "Rolled back"
        DELETED = "deleted", "Deleted a draft"

    user = models.ForeignKey(
        "auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    username = models.CharField(max_length=150, help_text="Kept if the account is deleted.")
    action = models.CharField(max_length=16, choices=Action.choices)
    guide_slug = models.SlugField()
    draft = models.ForeignKey(
        GuideDraft, on_delete=models.SET_NULL, null=True, blank=True, related_name="log"
    )
    version = models.ForeignKey(
        GuideVersion, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    detail = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering: ClassVar = ["-at", "-id"]
        verbose_name = "author log entry"
        verbose_name_plural = "author log"

    def __str__(self) -> str:
        return f"{self.username} {self.action} {self.guide_slug}"
