"""Publishing a draft: a new immutable version, a diff first, evidence that follows fix ids."""

from __future__ import annotations

import re

import pytest

from diagnostics.authoring.guide_file import to_toml
from diagnostics.models import AuthorLogEntry, Diagnosis, Evidence, Guide, GuideVersion
from tests.authoring import DRAFTS, author, new_version, publish, save_raw
from tests.conftest import Flow

pytestmark = pytest.mark.django_db


def versions() -> list[tuple]:
    return list(GuideVersion.objects.order_by("pk").values_list("pk", "number", "checksum"))


def test_a_diagnosis_in_progress_finishes_on_the_version_it_started_on(
    flow: Flow, guide: Guide, unsure: dict[str, str]
) -> None:
    flow.start()
    flow.answer("all_green")
    started_on = guide.current_version_id
    browser = author()
    draft = new_version(browser, guide.pk)
    data = draft.data
    for fix in data["fix"]:
        fix["title"] += " (v2)"
    assert save_raw(browser, draft, to_toml(data)) == 302
    assert publish(browser, draft) == 302

    guide.refresh_from_db()
    assert guide.current_version_id != started_on
    assert guide.current_version.number == 2
    # The person half-way carries on, on version 1, and still sees its words.
    flow.answer_questions(unsure)
    assert flow.step.startswith("fix:")
    assert "(v2)" not in flow.html
    flow.answer("not_fixed")
    assert "(v2)" not in flow.html
    assert Diagnosis.objects.get(pk=flow.diagnosis).guide_version_id == started_on
    # A new person gets version 2.
    newcomer = Flow(type(flow.client)())
    newcomer.start()
    newcomer.answer_questions(unsure)
    assert "(v2)" in newcomer.html
    assert Diagnosis.objects.get(pk=newcomer.diagnosis).guide_version == guide.current_version


def test_the_review_shows_steps_added_removed_and_changed(guide: Guide) -> None:
    browser = author()
    draft = new_version(browser, guide.pk)
    data = draft.data
    removed = data["fix"].pop()
    data["fix"][0]["minutes"] = 9
    data["outcome"].append(
        {"id": "brand_new", "kind": "not_applicable", "title": "New", "body": "Text."}
    )
    data["question"][1]["choice"][0]["next"] = "brand_new"
    assert save_raw(browser, draft, to_toml(data)) == 302
    html = browser.get(f"{DRAFTS}{draft.pk}/review/").content.decode()
    assert "Compared with the current version, version 1." in html
    assert re.search(r'diff-added"><td>outcome <code>brand_new</code></td><td>added', html)
    assert re.search(rf'diff-removed"><td>fix <code>{removed["id"]}</code></td><td>removed', html)
    fix_id = data["fix"][0]["id"]
    assert re.search(
        rf"diff-changed\"><td>fix <code>{fix_id}</code></td><td>changed</td><td>minutes", html
    )
    assert f"Fix <code>{removed['id']}</code> is gone" in html


def test_changing_a_fixs_when_warns_and_starts_its_evidence_afresh(guide: Guide) -> None:
    changed, kept = "restart", "network"
    for fix in (changed, kept):
        for kind in ("tried", "fixed", "offered"):
            Evidence.objects.create(guide=guide, context="", kind=kind, key=fix, count=7, weight=7)
    Evidence.objects.create(
        guide=guide, context="", kind="unfixed_after", key=f"{changed},{kept}", count=3, weight=3
    )
    browser = author()
    draft = new_version(browser, guide.pk)
    data = draft.data
    fix = next(f for f in data["fix"] if f["id"] == changed)
    assert "when" not in fix
    fix["when"] = {"apple_status": ["all_green"]}
    assert save_raw(browser, draft, to_toml(data)) == 302
    html = browser.get(f"{DRAFTS}{draft.pk}/review/").content.decode()
    assert f'Fix <code>{changed}</code>: its "applies only when" changed' in html
    assert f"Fix <code>{kept}</code>" not in html
    assert publish(browser, draft) == 302

    lines = {(e.kind, e.key): e.count for e in Evidence.objects.filter(guide=guide)}
    assert not any(key == changed for _, key in lines)
    assert lines[("tried", kept)] == 7
    assert lines[("fixed", kept)] == 7
    # Diagnoses that failed both now count as having failed only the kept fix.
    assert lines[("unfixed_after", kept)] == 3
    entry = AuthorLogEntry.objects.get(action="published")
    assert changed in entry.detail


def test_publishing_twice_is_refused_and_makes_one_version(guide: Guide) -> None:
    browser = author()
    draft = new_version(browser, guide.pk)
    data = draft.data
    data["guide"]["title"] = "A better title"
    assert save_raw(browser, draft, to_toml(data)) == 302
    draft.refresh_from_db()
    form = {"revision": draft.revision}
    assert browser.post(f"{DRAFTS}{draft.pk}/review/", form).status_code == 302
    before = versions()
    again = browser.post(f"{DRAFTS}{draft.pk}/review/", form)
    assert again.status_code == 409
    assert "already published" in again.content.decode()
    assert versions() == before
    assert AuthorLogEntry.objects.filter(action="published").count() == 1
    guide.refresh_from_db()
    assert guide.title == "A better title"


def test_an_unchanged_draft_is_not_published(guide: Guide) -> None:
    browser = author()
    draft = new_version(browser, guide.pk)
    before = versions()
    response = browser.post(f"{DRAFTS}{draft.pk}/review/", {"revision": draft.revision})
    assert response.status_code == 400
    assert versions() == before


def test_a_new_guide_is_written_published_and_listed(client, db: None) -> None:
    browser = author()
    response = browser.post(
        f"{DRAFTS}new/",
        {"start": "guide", "guide-slug": "printer-offline", "guide-title": "Printer offline"},
    )
    assert response.status_code == 302
    draft_url = response["Location"]
    draft = draft_url.rstrip("/").split("/")[-2]
    from diagnostics.models import GuideDraft

    draft = GuideDraft.objects.get(pk=int(draft))
    assert "No problems" in browser.get(draft_url).content.decode()
    assert publish(browser, draft) == 302
    guide = Guide.objects.get(slug="printer-offline")
    assert guide.current_version.number == 1
    assert "Printer offline" in client.get("/").content.decode()
    actions = list(AuthorLogEntry.objects.order_by("at", "id").values_list("action", "username"))
    assert actions == [("created", "ada"), ("published", "ada")]


def test_loading_the_guide_files_again_keeps_the_version_published_in_the_admin(
    guide: Guide,
) -> None:
    from django.core.management import call_command

    browser = author()
    draft = new_version(browser, guide.pk)
    data = draft.data
    data["guide"]["title"] = "Written in the admin"
    assert save_raw(browser, draft, to_toml(data)) == 302
    assert publish(browser, draft) == 302
    call_command("load_guides", stdout=open("/dev/null", "w"))  # noqa: SIM115  (a restart)
    guide.refresh_from_db()
    assert guide.current_version.number == 2
    assert guide.title == "Written in the admin"
