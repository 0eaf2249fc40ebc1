"""The iCloud guide carries every fact of the reference article and the extra checks."""

from __future__ import annotations

import pytest

from diagnostics import engine


def all_text(guide: engine.Guide) -> str:
    parts: list[str] = [guide.summary]
    for question in guide.questions:
        parts += [question.prompt, question.help, *(c.label for c in question.choices)]
    for fix in guide.fixes:
        parts += [fix.title, fix.why, fix.note, *fix.steps]
    for outcome in guide.outcomes.values():
        parts += [outcome.title, outcome.body, *outcome.steps]
    return "\n".join(parts)


@pytest.mark.parametrize(
    "fact",
    [
        # Other accounts are not backed up by iCloud, and how to tell which holds a contact.
        "Gmail",
        "Outlook",
        "Exchange",
        "On My iPhone",
        "Lists",
        # Storage, restart, off/on with Keep on My iPhone and Merge, default account, reset.
        "Manage Storage",
        "Restart your iPhone",
        "Keep on My iPhone",
        "Merge",
        "Default Account",
        "Settings › General › Transfer or Reset iPhone",
        "Reset All Settings",
        "does not erase",
        "Erase All Content and Settings",
        # What a good support agent also checks.
        "same Apple Account",
        "Set Automatically",
        "icloud.com",
        "apple.com/support/systemstatus",
        # Documented limits, network blockers, sign-out, recovery.
        "50,000 contacts",
        "224 KB per contact photo",
        "Low Data Mode",
        "VPN",
        "Sign Out",
        "Restore Contacts",
        "30 days",
    ],
)
def test_the_guide_covers(icloud: engine.Guide, fact: str) -> None:
    assert fact in all_text(icloud)


def test_reset_all_settings_is_the_last_resort(icloud: engine.Guide) -> None:
    reset = icloud.fix("reset_all_settings")
    assert reset is not None
    # Costliest, so the ranking (tested in test_ranking.py) offers it last.
    others = [fix.cost for fix in icloud.fixes if fix != reset]
    assert reset.cost > max(others)


def test_free_storage_comes_first_when_storage_is_full(icloud: engine.Guide) -> None:
    answers = {
        "apple_status": "all_green",
        "account": "icloud",
        "icloud_web": "missing",
        "contacts_sync": "on",
        "storage": "nearly_full",
        "same_account": "yes",
    }
    assert engine.next_step(icloud, answers).id == "free_storage"


def first_fixes(guide: engine.Guide, **changes: str) -> list[str]:
    """The fixes offered in order, every one failing, after the usual answers plus ``changes``."""
    answers = {
        "apple_status": "all_green",
        "account": "icloud",
        "icloud_web": "missing",
        "contacts_sync": "on",
        "storage": "plenty",
        "same_account": "yes",
        **changes,
    }
    tried: list[engine.Attempt] = []
    while isinstance(step := engine.next_step(guide, answers, tried), engine.Fix):
        tried.append(engine.Attempt(fix=step.id, result=engine.Result.NOT_FIXED))
    return [attempt.fix for attempt in tried]


def test_a_switched_off_icloud_contacts_is_the_first_thing_fixed(icloud: engine.Guide) -> None:
    # Even when storage is also full and the other devices use another account.
    fixes = first_fixes(icloud, contacts_sync="off", storage="nearly_full", same_account="no")
    assert fixes[0] == "turn_on_icloud_contacts"


def test_contacts_kept_on_my_iphone_are_moved_first_when_the_switch_is_on(
    icloud: engine.Guide,
) -> None:
    fixes = first_fixes(icloud, account="on_my_iphone")
    assert fixes[0] == "move_on_my_iphone"
    assert "default_account" in fixes  # new contacts go to iCloud too
    assert "toggle_contacts_sync" not in fixes  # the same steps are not offered twice


def test_signing_devices_in_again_comes_after_the_gentle_fixes(icloud: engine.Guide) -> None:
    fixes = first_fixes(icloud, same_account="no")
    assert fixes.index("same_apple_account") > fixes.index("restart")
    assert fixes.index("same_apple_account") > fixes.index("date_time")
