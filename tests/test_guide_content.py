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
    assert reset.cost == max(fix.cost for fix in icloud.fixes)
    assert icloud.fixes[-1] == reset


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
