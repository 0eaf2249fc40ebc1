"""The iCloud guide: every fact of the reference article and the extra checks, in an
order that follows the article, with safe, checkable steps."""

from __future__ import annotations

import pytest

from diagnostics import engine
from tests.planning_guides import all_text, fixes_when_all_fail, offered


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


# --- the order -------------------------------------------------------------------

USUAL = {
    "apple_status": "all_green",
    "account": "icloud",
    "icloud_web": "missing",
    "contacts_sync": "on",
    "storage": "plenty",
    "same_account": "yes",
}


def fixes_in_order(guide: engine.Guide, **changes: str) -> list[str]:
    """The fixes offered in order, every one failing, after the usual answers plus ``changes``."""
    fixes, _ = fixes_when_all_fail(guide, {**USUAL, **changes})
    return fixes


# The author's order (what the priors and costs give) in the contexts that matter,
# written down: the article's order, then the rarer checks, Reset All Settings last.
ORDERS = {
    "icloud, plenty of space": (
        {},
        [
            "restart",
            "toggle_contacts_sync",
            "default_account",
            "network",
            "date_time",
            "sign_out_in",
            "contact_limits",
            "reset_all_settings",
        ],
    ),
    "icloud, storage nearly full": (
        {"storage": "nearly_full"},
        [
            "free_storage",
            "restart",
            "toggle_contacts_sync",
            "default_account",
            "network",
            "date_time",
            "sign_out_in",
            "contact_limits",
            "reset_all_settings",
        ],
    ),
    "not sure which account": (
        {"account": "not_sure"},
        [
            "restart",
            "toggle_contacts_sync",
            "default_account",
            "network",
            "date_time",
            "sign_out_in",
            "contact_limits",
            "reset_all_settings",
        ],
    ),
    "kept On My iPhone": (
        {"account": "on_my_iphone"},
        [
            "move_on_my_iphone",
            "default_account",
            "restart",
            "network",
            "date_time",
            "sign_out_in",
            "contact_limits",
            "reset_all_settings",
        ],
    ),
    "iCloud Contacts switched off": (
        {"contacts_sync": "off"},
        [
            "turn_on_icloud_contacts",
            "restart",
            "default_account",  # ties with network: the file's order decides
            "network",
            "date_time",
            "contact_limits",  # ties with signing out and in
            "sign_out_in",
            "reset_all_settings",
        ],
    ),
    "other devices on another account, iCloud.com not checked": (
        {"icloud_web": "cannot_check", "same_account": "no"},
        [
            "restart",
            "toggle_contacts_sync",
            "same_apple_account",
            "default_account",
            "network",
            "date_time",
            "sign_out_in",
            "contact_limits",
            "reset_all_settings",
        ],
    ),
}


@pytest.mark.parametrize("context", ORDERS)
def test_the_authors_order_in_each_key_context(icloud: engine.Guide, context: str) -> None:
    changes, expected = ORDERS[context]
    assert fixes_in_order(icloud, **changes) == expected


def test_the_articles_fixes_come_in_the_articles_order(icloud: engine.Guide) -> None:
    article = ["free_storage", "restart", "toggle_contacts_sync", "default_account"]
    for storage in ("nearly_full", "plenty", "not_sure"):
        for account in ("icloud", "not_sure"):
            fixes = fixes_in_order(icloud, storage=storage, account=account)
            offered = [fix for fix in article if fix in fixes]
            assert offered == sorted(offered, key=article.index), (storage, account)
            assert fixes[-1] == "reset_all_settings"


def test_rare_causes_have_low_priors(icloud: engine.Guide) -> None:
    article = [icloud.fix(f) for f in ("restart", "toggle_contacts_sync", "free_storage")]
    lowest = min(fix.chance for fix in article if fix is not None)
    for rare in ("date_time", "contact_limits"):
        fix = icloud.fix(rare)
        assert fix is not None
        assert fix.chance <= lowest / 5


def test_reset_all_settings_is_the_last_resort(icloud: engine.Guide) -> None:
    reset = icloud.fix("reset_all_settings")
    assert reset is not None
    assert reset.penalty >= 30  # a large disruption, in minutes
    assert reset.cost == max(fix.cost for fix in icloud.fixes)


def test_a_switched_off_icloud_contacts_is_the_first_thing_fixed(icloud: engine.Guide) -> None:
    # Even when storage is also full and the other devices use another account.
    fixes = fixes_in_order(
        icloud,
        contacts_sync="off",
        storage="nearly_full",
        icloud_web="cannot_check",
        same_account="no",
    )
    assert fixes[0] == "turn_on_icloud_contacts"


def test_contacts_kept_on_my_iphone_are_moved_first_when_the_switch_is_on(
    icloud: engine.Guide,
) -> None:
    fixes = fixes_in_order(icloud, account="on_my_iphone")
    assert fixes[0] == "move_on_my_iphone"
    assert "toggle_contacts_sync" not in fixes  # the same steps are not offered twice


# --- which fixes are offered -------------------------------------------------------


@pytest.mark.parametrize("account", ["icloud", "on_my_iphone", "not_sure"])
def test_default_account_is_offered_to_anyone_who_may_have_two_accounts(
    icloud: engine.Guide, account: str
) -> None:
    # Someone whose missing contacts are in iCloud may still save new ones to Gmail
    # or On My iPhone: the Default Account decides.
    assert "default_account" in fixes_in_order(icloud, account=account)


@pytest.mark.parametrize("same_account", ["no", "not_sure"])
def test_same_apple_account_is_not_offered_once_icloud_com_shows_them_missing(
    icloud: engine.Guide, same_account: str
) -> None:
    # Missing on iCloud.com (signed in with the iPhone's account): the iPhone never
    # uploaded them, so another device's sign-in cannot be the cause.
    missing = fixes_in_order(icloud, icloud_web="missing", same_account=same_account)
    unknown = fixes_in_order(icloud, icloud_web="cannot_check", same_account=same_account)
    assert "same_apple_account" not in missing
    assert "same_apple_account" in unknown


def test_the_other_devices_question_is_asked_only_when_icloud_com_was_not_checked(
    icloud: engine.Guide,
) -> None:
    # It may come between fixes (the look-ahead asks it once that is cheaper), so the
    # whole walk is looked at: every fix failing, every question answered as USUAL.
    before = {k: v for k, v in USUAL.items() if k != "same_account"}
    known = engine.knowledge(icloud)
    missing = offered(icloud, known, {**before, "icloud_web": "missing"})
    assert "question:same_account" not in missing
    unknown = offered(icloud, known, {**before, "icloud_web": "cannot_check"})
    assert "question:same_account" in unknown


def test_questions_that_need_another_device_say_so_and_cost_more(icloud: engine.Guide) -> None:
    needs = {q.id: q for q in icloud.questions if q.device}
    assert needs.keys() == {"icloud_web", "same_account"}
    assert needs["icloud_web"].device == "a computer"
    on_the_phone = max(q.minutes for q in icloud.questions if not q.device)
    assert all(q.minutes > on_the_phone for q in needs.values())


def test_an_apple_outage_and_another_provider_are_gates(icloud: engine.Guide) -> None:
    gates = {q.id for q in icloud.questions if q.gate}
    assert gates == {"apple_status", "account"}
    assert icloud.support_minutes >= 30


# --- the steps themselves --------------------------------------------------------

# (fix, words of the warning, words of the step it protects): the warning must come
# in an earlier step than the action, not in the note shown after the steps.
WARNINGS = [
    ("move_on_my_iphone", "Never tap Delete from My iPhone", "Turn off Contacts"),
    ("toggle_contacts_sync", "Never tap Delete from My iPhone", "Turn off Contacts"),
    ("reset_all_settings", "Do not tap that one", "Transfer or Reset iPhone"),
    ("reset_all_settings", "Erase All Content and Settings", "Tap Reset"),
    ("sign_out_in", "Turn on Contacts there", "tap Sign Out"),
    ("free_storage", "Leave this iPhone's own backup alone", "Delete the backups"),
]


def step_index(fix: engine.Fix, words: str) -> int:
    found = [i for i, step in enumerate(fix.steps) if words in step]
    assert found, f"{fix.id}: no step says {words!r}"
    return found[0]


@pytest.mark.parametrize(("fix_id", "warning", "action"), WARNINGS)
def test_safety_warnings_come_before_the_step_they_protect(
    icloud: engine.Guide, fix_id: str, warning: str, action: str
) -> None:
    fix = icloud.fix(fix_id)
    assert fix is not None
    assert step_index(fix, warning) < step_index(fix, action)
    assert warning not in fix.note


def test_no_warning_is_left_in_a_note(icloud: engine.Guide) -> None:
    for fix in icloud.fixes:
        for words in ("Delete from My iPhone", "Erase All Content", "Never", "Do not", "Don't"):
            assert words not in fix.note, fix.id


def test_every_fix_ends_with_how_to_tell_whether_it_worked(icloud: engine.Guide) -> None:
    for fix in icloud.fixes:
        last = fix.steps[-1]
        assert last.startswith("Check that it worked:"), fix.id
        assert "icloud.com" in last or fix.id == "same_apple_account", fix.id


def test_default_account_is_checked_with_a_test_contact(icloud: engine.Guide) -> None:
    fix = icloud.fix("default_account")
    assert fix is not None
    assert "test contact" in fix.steps[-1]


def test_the_outlook_route_ends_in_a_vcard_that_icloud_com_imports(icloud: engine.Guide) -> None:
    outcome = icloud.outcomes["other_account"]
    steps = outcome.steps
    outlook = step_index_in(steps, "Outlook.com")
    to_vcard = step_index_in(steps, "Turn the Outlook CSV file into a vCard")
    upload = step_index_in(steps, "Import Contact")
    assert "CSV" in steps[outlook]  # what Outlook really exports
    assert outlook < to_vcard < upload
    assert "vCard" in steps[upload]
    assert "CSV" not in steps[upload]  # iCloud.com is never handed a CSV file
    assert "can't read" in outcome.body  # and the person is told why


def step_index_in(steps: tuple[str, ...], words: str) -> int:
    found = [i for i, step in enumerate(steps) if words in step]
    assert found, f"no step says {words!r}"
    return found[0]
