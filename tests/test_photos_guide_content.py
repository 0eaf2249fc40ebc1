"""The iCloud Photos guide: Apple's documented causes, offered in an order that
follows the message the Photos app shows, with safe, checkable steps."""

from __future__ import annotations

import pytest

from diagnostics import engine
from diagnostics.engine import Fix, Outcome, Question, next_step
from tests.planning_guides import all_text, fixes_when_all_fail, offered


@pytest.mark.parametrize(
    "fact",
    [
        # Apple's outage page, and how iCloud Photos is switched on.
        "apple.com/support/systemstatus",
        "Settings › [your name] › iCloud",
        "Sync this iPhone",
        "same Apple Account",
        # Where the sync status is shown, and the messages Apple documents.
        "Library tab",
        "All Photos",
        "scroll right to the bottom",
        "Low Power Mode",
        "Low Data Mode",
        "Waiting to Sync",
        "Sync Now",
        "Settings › Battery",
        # Storage: photos count towards it; full means no uploads.
        "count towards",
        "iCloud+",
        # Apple's advice not to switch iCloud Photos off while it's stuck.
        "don't switch iCloud Photos off",
    ],
)
def test_the_guide_covers(photos: engine.Guide, fact: str) -> None:
    assert fact in all_text(photos)


# --- the order -------------------------------------------------------------------

USUAL = {
    "apple_status": "all_green",
    "photos_sync": "on",
    "status": "other",
    "storage": "plenty",
    "icloud_web": "missing",
}


def fixes_in_order(guide: engine.Guide, **changes: str) -> list[str]:
    """The fixes offered in order, every one failing, after the usual answers plus ``changes``."""
    fixes, ending = fixes_when_all_fail(guide, {**USUAL, **changes})
    assert ending == "escalate"
    return fixes


# The author's order (what the priors and costs give), written down by hand: the
# fix for the message the Photos app shows comes first, then the rest.
ORDERS = {
    "no message, plenty of space": (
        {},
        ["restart", "wait_online", "power", "data"],
    ),
    "Low Power Mode": (
        {"status": "low_power"},
        ["power", "restart", "data", "wait_online"],
    ),
    "Low Data Mode": (
        {"status": "low_data"},
        ["data", "restart", "power", "wait_online"],
    ),
    "uploading a number of items": (
        {"status": "syncing"},
        ["wait_online", "restart", "power", "data"],
    ),
    "Waiting to Sync": (
        {"status": "waiting"},
        ["wait_online", "restart", "power", "data"],
    ),
    "storage full": (
        {"status": "storage_full", "storage": "nearly_full"},
        ["free_storage", "restart", "power", "data", "wait_online"],
    ),
    "iCloud Photos off": (
        {"photos_sync": "off"},
        ["turn_on_icloud_photos", "restart", "power", "data", "wait_online"],
    ),
    "iCloud Photos off and storage nearly full": (
        {"photos_sync": "off", "storage": "nearly_full"},
        ["turn_on_icloud_photos", "free_storage", "restart", "power", "data", "wait_online"],
    ),
    "no message, iCloud.com not checked": (
        {"icloud_web": "cannot_check"},
        ["restart", "wait_online", "power", "data", "same_apple_account"],
    ),
}


@pytest.mark.parametrize("context", ORDERS)
def test_the_authors_order_in_each_key_context(photos: engine.Guide, context: str) -> None:
    changes, expected = ORDERS[context]
    assert fixes_in_order(photos, **changes) == expected


@pytest.mark.parametrize(
    ("status", "storage", "fix_id"),
    [
        ("low_power", "plenty", "power"),
        ("low_power", "not_sure", "power"),
        ("low_data", "plenty", "data"),
        ("low_data", "not_sure", "data"),
        ("storage_full", "nearly_full", "free_storage"),
        ("storage_full", "not_sure", "free_storage"),
        ("syncing", "plenty", "wait_online"),
        ("syncing", "not_sure", "wait_online"),
        ("waiting", "plenty", "wait_online"),
        ("waiting", "not_sure", "wait_online"),
    ],
)
def test_the_fix_for_the_message_shown_comes_first(
    photos: engine.Guide, status: str, storage: str, fix_id: str
) -> None:
    assert fixes_in_order(photos, status=status, storage=storage)[0] == fix_id


def test_a_full_icloud_is_freed_early_whatever_the_message(photos: engine.Guide) -> None:
    for status in ("low_power", "low_data", "syncing", "waiting", "other"):
        fixes = fixes_in_order(photos, status=status, storage="nearly_full")
        assert fixes.index("free_storage") <= 2, status


def test_icloud_photos_switched_off_is_the_first_thing_fixed(photos: engine.Guide) -> None:
    for storage in ("nearly_full", "plenty", "not_sure"):
        assert fixes_in_order(photos, photos_sync="off", storage=storage)[0] == (
            "turn_on_icloud_photos"
        )
    assert "turn_on_icloud_photos" not in fixes_in_order(photos, photos_sync="on")


def test_plenty_of_space_skips_the_storage_fix(photos: engine.Guide) -> None:
    assert "free_storage" not in fixes_in_order(photos, storage="plenty")


# --- which questions are asked ------------------------------------------------------


def test_an_apple_outage_ends_without_touching_settings(photos: engine.Guide) -> None:
    first = next_step(photos, {}, ())
    assert isinstance(first, Question)
    assert first.id == "apple_status"
    assert first.gate
    step = next_step(photos, {"apple_status": "outage"}, ())
    assert isinstance(step, Outcome)
    assert step.id == "apple_outage"
    assert step.outcome == "not_applicable"
    assert "don't switch iCloud Photos off" in step.body


def test_the_status_message_is_read_only_while_icloud_photos_may_be_on(
    photos: engine.Guide,
) -> None:
    base = {"apple_status": "all_green"}
    for sync in ("on", "not_sure"):
        # Asked, though not always next: the look-ahead may put it after a fix or
        # after a question that saves more.
        walked = offered(photos, engine.knowledge(photos), {**base, "photos_sync": sync})
        assert "question:status" in walked
    off = {**base, "photos_sync": "off"}
    walked = [s.id for s in engine.question_path(photos, {**off, "storage": "plenty"})]
    assert "status" not in walked


def test_icloud_com_is_checked_only_when_the_photos_app_gives_no_reason(
    photos: engine.Guide,
) -> None:
    asked = {"apple_status": "all_green", "photos_sync": "on", "storage": "plenty"}
    for status in ("syncing", "low_power", "low_data", "waiting", "storage_full"):
        on_path = [s.id for s in engine.question_path(photos, {**asked, "status": status})]
        assert "icloud_web" not in on_path, status
    step = next_step(photos, {**asked, "status": "other"}, ())
    assert isinstance(step, Question)
    assert step.id == "icloud_web"
    assert step.device == "a computer"
    assert step.minutes > max(q.minutes for q in photos.questions if not q.device)


def test_photos_already_on_icloud_com_end_with_the_other_device(photos: engine.Guide) -> None:
    answers = {**USUAL, "icloud_web": "there"}
    step = next_step(photos, answers, ())
    assert isinstance(step, Outcome)
    assert step.id == "already_uploaded"
    assert "same Apple Account" in step.body


def test_the_other_devices_account_is_offered_only_when_icloud_com_was_not_checked(
    photos: engine.Guide,
) -> None:
    assert "same_apple_account" not in fixes_in_order(photos, icloud_web="missing")
    assert "same_apple_account" in fixes_in_order(photos, icloud_web="cannot_check")


# --- the steps themselves --------------------------------------------------------

# (fix, words of the warning, words of the step it protects): the warning comes in an
# earlier step than the action, never only in the note shown after the steps.
WARNINGS = [
    ("free_storage", "deleting a photo on your iPhone deletes it", "remove things you no longer"),
    ("free_storage", "Read this before you delete any photos", "Change Storage Plan"),
    ("data", "Large videos can use a lot of your data allowance", "Cellular Data Options"),
]


def step_index(fix: Fix, words: str) -> int:
    found = [i for i, step in enumerate(fix.steps) if words in step]
    assert found, f"{fix.id}: no step says {words!r}"
    return found[0]


@pytest.mark.parametrize(("fix_id", "warning", "action"), WARNINGS)
def test_safety_warnings_come_before_the_step_they_protect(
    photos: engine.Guide, fix_id: str, warning: str, action: str
) -> None:
    fix = photos.fix(fix_id)
    assert fix is not None
    assert step_index(fix, warning) < step_index(fix, action)
    assert warning not in fix.note


def test_no_step_tells_anyone_to_switch_icloud_photos_off_or_delete_photos(
    photos: engine.Guide,
) -> None:
    # Apple: if iCloud Photos isn't syncing, do not turn it off.
    for fix in photos.fixes:
        for step in fix.steps:
            assert "Turn off Sync this iPhone" not in step, fix.id
            assert "Turn off iCloud Photos" not in step, fix.id
            assert "Delete photos" not in step, fix.id


def test_every_fix_is_checked_where_the_upload_shows(photos: engine.Guide) -> None:
    # The count at the bottom of All Photos, or the other device for an account fix.
    for fix in photos.fixes:
        last = fix.steps[-1]
        assert last.startswith("Check that it worked:"), fix.id
        shows = "All Photos" in last or (fix.id == "same_apple_account" and "other device" in last)
        assert shows, fix.id


def test_the_escalation_keeps_the_photos_safe(photos: engine.Guide) -> None:
    body = photos.outcomes["escalate"].body
    assert "still on your iPhone" in body
    for advice in ("don't switch iCloud Photos off", "don't delete photos", "don't erase"):
        assert advice in body
    assert photos.support_minutes >= 30
