"""A draft is checked by the guide validator; each problem shows next to its step."""

from __future__ import annotations

import re

import pytest

from diagnostics.models import Guide, GuideDraft, GuideVersion
from tests.authoring import DRAFTS, author, new_version, revision

pytestmark = pytest.mark.django_db


def step_block(html: str, kind: str, step_id: str) -> str:
    """The draft page's list item for one step."""
    start = rf'<li class="authoring-step[^"]*" id="{kind}-{step_id}">'
    end = r'</li>\s*(<li class="authoring-step|</ol>)'
    match = re.search(f"{start}(.*?){end}", html, re.S)
    assert match, f"no {kind} {step_id} on the page"
    return match.group(1)


def fix_form(draft: GuideDraft, index: int, **changes: str) -> dict[str, str]:
    fix = draft.data["fix"][index]
    form = {
        "revision": str(draft.revision),
        "id": fix["id"],
        "title": fix["title"],
        "why": fix["why"],
        "steps": "\n".join(fix["steps"]),
        "minutes": str(fix["minutes"]),
        "penalty": str(fix.get("penalty", "")),
        "chance": str(fix["chance"]),
        "when": "\n".join(f"{q}: {', '.join(c)}" for q, c in fix.get("when", {}).items()),
        "chance_if": "\n".join(
            f"{r['chance']} if " + "; ".join(f"{q}: {', '.join(c)}" for q, c in r["when"].items())
            for r in fix.get("chance_if", [])
        ),
        "note": fix.get("note", ""),
    }
    return {**form, **changes}


def test_a_wrong_condition_is_shown_next_to_its_fix_and_blocks_publishing(guide: Guide) -> None:
    browser = author()
    draft = new_version(browser, guide.pk)
    edit = browser.get(f"{DRAFTS}{draft.pk}/fix/1/")
    assert edit.status_code == 200
    posted = fix_form(draft, 1, when="no_such_question: yes")
    assert browser.post(f"{DRAFTS}{draft.pk}/fix/1/", posted).status_code == 302
    draft.refresh_from_db()
    fix_id = draft.data["fix"][1]["id"]
    assert draft.data["fix"][1]["when"] == {"no_such_question": ["yes"]}

    html = browser.get(f"{DRAFTS}{draft.pk}/change/").content.decode()
    assert "1 problem to fix before this draft can be published" in html
    block = step_block(html, "fix", fix_id)
    assert "condition on unknown question &#x27;no_such_question&#x27;" in block
    other = step_block(html, "fix", draft.data["fix"][0]["id"])
    assert "errorlist" not in other

    review = browser.get(f"{DRAFTS}{draft.pk}/review/").content.decode()
    assert "cannot be published" in review
    assert "Publish as a new version" not in review
    before = list(GuideVersion.objects.values_list("pk", flat=True))
    refused = browser.post(f"{DRAFTS}{draft.pk}/review/", {"revision": draft.revision})
    assert refused.status_code == 400
    assert list(GuideVersion.objects.values_list("pk", flat=True)) == before


def test_an_unreachable_outcome_is_named_beside_it(guide: Guide) -> None:
    browser = author()
    draft = new_version(browser, guide.pk)
    page = browser.get(f"{DRAFTS}{draft.pk}/change/").content.decode()
    response = browser.post(f"{DRAFTS}{draft.pk}/add/outcome/", {"revision": revision(page)})
    assert response.status_code == 302
    html = browser.get(f"{DRAFTS}{draft.pk}/change/").content.decode()
    assert "can never be reached on any path" in step_block(html, "outcome", "new_outcome_1")


def test_a_question_form_with_a_bad_number_saves_nothing(guide: Guide) -> None:
    browser = author()
    draft = new_version(browser, guide.pk)
    question = draft.data["question"][0]
    form = {
        "revision": draft.revision,
        "id": question["id"],
        "prompt": question["prompt"],
        "minutes": "a lot",
        "ask_if": "",
        "c-TOTAL_FORMS": "1",
        "c-INITIAL_FORMS": "0",
        "c-0-id": "x",
        "c-0-label": "X",
    }
    response = browser.post(f"{DRAFTS}{draft.pk}/question/0/", form)
    assert response.status_code == 400
    assert "Enter a number." in response.content.decode()
    assert GuideDraft.objects.get(pk=draft.pk).data == draft.data


def test_editing_a_questions_choices_and_reordering_steps(guide: Guide) -> None:
    browser = author()
    draft = new_version(browser, guide.pk)
    page = browser.get(f"{DRAFTS}{draft.pk}/question/0/").content.decode()
    assert 'name="c-0-label"' in page
    question = draft.data["question"][0]
    choices = question["choice"]
    form = {
        "revision": draft.revision,
        "id": question["id"],
        "prompt": "Is iCloud working?",
        "help": question.get("help", ""),
        "minutes": "1",
        "gate": "on",
        "ask_if": "",
        "c-TOTAL_FORMS": str(len(choices) + 1),
        "c-INITIAL_FORMS": str(len(choices)),
    }
    for i, choice in enumerate(choices):
        form |= {
            f"c-{i}-id": choice["id"],
            f"c-{i}-label": choice["label"] + "!",
            f"c-{i}-next": choice.get("next", ""),
            f"c-{i}-chance": str(choice["chance"]),
        }
    assert browser.post(f"{DRAFTS}{draft.pk}/question/0/", form).status_code == 302
    draft.refresh_from_db()
    saved = draft.data["question"][0]
    assert saved["prompt"] == "Is iCloud working?"
    assert [c["label"] for c in saved["choice"]] == [c["label"] + "!" for c in choices]
    assert saved["choice"][1]["next"] == choices[1]["next"]
    assert "next" not in saved["choice"][0]

    ids = [f["id"] for f in draft.data["fix"]]
    moved = browser.post(
        f"{DRAFTS}{draft.pk}/fix/0/move/", {"revision": draft.revision, "direction": "down"}
    )
    assert moved.status_code == 302
    draft.refresh_from_db()
    assert [f["id"] for f in draft.data["fix"]] == [ids[1], ids[0], *ids[2:]]
