"""Staff walk a draft as a person would; preview diagnoses never count anywhere."""

from __future__ import annotations

import pytest
from django.test import Client

from diagnostics.authoring.guide_file import to_toml
from diagnostics.insight.reports import guide_report
from diagnostics.learning.evidence import forget_evidence
from diagnostics.models import (
    PREVIEW_SLUG_PREFIX,
    Diagnosis,
    Evidence,
    EvidenceClock,
    Feedback,
    Guide,
    GuideVersion,
    Ticket,
)
from tests.authoring import DRAFTS, author, new_version, save_raw
from tests.conftest import Flow
from tests.test_why import WHY_GUIDE, why_guide  # noqa: F401  (the fixture)

# One seed for every diagnosis, so a preview and a live walk draw alike.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fixed_draw")]

PREVIEW = "/admin/preview/guides/{slug}/"


def preview(browser: Client, draft_pk: int, slug: str) -> Flow:
    response = browser.post(f"{DRAFTS}{draft_pk}/preview/")
    assert response.status_code == 302
    assert response["Location"] == PREVIEW.format(slug=slug) + "step/1/"
    flow = Flow(browser, slug=slug)
    flow.url = PREVIEW.format(slug=slug)
    flow.get(response["Location"])
    return flow


def counts(guide: Guide) -> tuple:
    report = guide_report(guide=guide)
    return (
        Evidence.objects.count(),
        EvidenceClock.objects.count(),
        report.statuses,
        report.unanswered,
        [(f.fix, f.tried) for f in report.fixes],
        report.endings,
    )


def test_a_draft_is_walked_in_the_real_flow_and_counts_nowhere(
    guide: Guide, unsure: dict[str, str]
) -> None:
    browser = author()
    draft = new_version(browser, guide.pk)
    data = draft.data
    for fix in data["fix"]:
        fix["title"] += " (draft)"
    assert save_raw(browser, draft, to_toml(data)) == 302
    before = counts(guide)

    flow = preview(browser, draft.pk, guide.slug)
    assert "Preview of a draft: nothing you do here counts." in flow.html
    assert flow.step == "question:apple_status"
    flow.answer_questions(unsure)
    assert "(draft)" in flow.html  # the draft's words, in the flow's own templates
    flow.walk(unsure, fixes="not_fixed")
    assert flow.step == "outcome:escalate"
    fixed = preview(browser, draft.pk, guide.slug)
    fixed.answer_questions(unsure)
    fixed.answer("fixed")
    assert fixed.step == "outcome:fixed"

    walked = Diagnosis.objects.filter(kind=Diagnosis.Kind.PREVIEW)
    assert walked.count() == 2
    assert set(walked.values_list("status", flat=True)) == {"escalated", "resolved"}
    assert counts(guide) == before  # no evidence, nothing in the guide's report
    hidden = Guide.objects.get(slug=f"preview-draft-{draft.pk}")
    assert hidden.current_version is None  # never listed, never served at /guides/
    assert sum(guide_report(guide=hidden).statuses.values()) == 0
    assert Client().get(f"/guides/{hidden.slug}/").status_code == 404
    home = Client().get("/").content.decode()
    assert "preview-draft" not in home
    assert (
        home.count('class="guide-card"')
        == Guide.objects.exclude(slug__startswith="preview-draft-")
        .filter(current_version__isnull=False)
        .count()
    )
    # The author's own diagnosis of the live guide is untouched by previews.
    assert browser.get(f"/guides/{guide.slug}/").status_code == 200
    # Start over begins a fresh preview of the same draft.
    restarted = fixed.restart()
    assert restarted.status_code == 303
    assert Diagnosis.objects.filter(kind=Diagnosis.Kind.PREVIEW).count() == 3


def test_every_path_of_a_draft_can_be_reached_in_preview(guide: Guide) -> None:
    """Each choice of the first question leads on: a gate's outage ends at once."""
    browser = author()
    draft = new_version(browser, guide.pk)
    for choice in ("all_green", "outage", "cannot_check"):
        flow = preview(browser, draft.pk, guide.slug)
        flow.answer(choice)
        if choice == "outage":
            assert flow.step == "outcome:apple_outage"
        else:
            assert flow.step != "question:apple_status"


def test_a_preview_ranks_fixes_with_the_guides_live_evidence(why_guide: Guide) -> None:  # noqa: F811
    browser = author()
    draft = new_version(browser, why_guide.pk)
    flow = preview(browser, draft.pk, "why")
    flow.answer_questions({"link": "usb"})
    assert flow.step == "fix:quick"  # the author's order: no evidence yet

    for kind, key, count in [
        ("fixed", "thorough", 300),
        ("tried", "thorough", 400),
        ("offered", "thorough", 400),
        ("unfixed_after", "thorough", 100),
        ("tried", "quick", 1000),
        ("offered", "quick", 1000),
        ("unfixed_after", "quick", 1000),
    ]:
        Evidence.objects.create(
            guide_id="why", context="link=usb", kind=kind, key=key, count=count, weight=count
        )
    forget_evidence()
    live = Flow(Client(), slug="why")
    live.start()
    live.answer_questions({"link": "usb"})
    again = preview(browser, draft.pk, "why")
    again.answer_questions({"link": "usb"})
    assert live.step == "fix:thorough"
    assert again.step == live.step


def test_a_draft_with_problems_cannot_be_previewed(guide: Guide) -> None:
    browser = author()
    draft = new_version(browser, guide.pk)
    data = draft.data
    data["fix"][0]["when"] = {"nope": ["x"]}
    assert save_raw(browser, draft, to_toml(data)) == 302
    response = browser.post(f"{DRAFTS}{draft.pk}/preview/")
    assert response.status_code == 400
    assert not Diagnosis.objects.exists()


def test_the_guides_previews_run_on_stay_out_of_the_admin_lists(
    guide: Guide, admin_client: Client
) -> None:
    browser = author()
    draft = new_version(browser, guide.pk)
    flow = preview(browser, draft.pk, guide.slug)
    assert flow.step.startswith("question:")
    hidden = Guide.objects.get(slug__startswith=PREVIEW_SLUG_PREFIX)

    guides = admin_client.get("/admin/diagnostics/guide/").content.decode()
    versions = admin_client.get("/admin/diagnostics/guideversion/").content.decode()

    assert guide.title in guides
    assert hidden.slug not in guides
    assert f"/admin/diagnostics/guide/{hidden.pk}/" not in guides
    draft_version = GuideVersion.objects.get(guide=hidden)
    assert f"/admin/diagnostics/guideversion/{draft_version.pk}/" not in versions


def test_a_preview_sends_nothing_to_support_and_keeps_no_feedback(guide: Guide) -> None:
    browser = author()
    draft = new_version(browser, guide.pk)
    flow = preview(browser, draft.pk, guide.slug)
    here = PREVIEW.format(slug=guide.slug)
    ticket = {"email": "someone@example.com", "message": "Help", "diagnosis": flow.diagnosis}
    feedback = {"helpful": "yes", "comment": "Nice", "diagnosis": flow.diagnosis}

    sent = browser.post(here + "escalate/", ticket)
    rated = browser.post(here + "feedback/", feedback)

    assert sent.status_code == rated.status_code == 303
    assert sent["Location"] == rated["Location"] == here + "step/1/"
    assert not Ticket.objects.exists()
    assert not Feedback.objects.exists()
