"""The fixes a person is offered, in order, written down from the shipped guide.

The browser tests take the order from here, not from the engine under test,
so a ranking bug shows in them as a wrong heading. Worked out by hand from
diagnostics/guides/icloud-contacts.toml for today's ranking (cost, then the
file's order) and the answers in driver.py. When the ranking or the guide
changes, update these lists by hand.
"""

from __future__ import annotations

from diagnostics import engine

# driver.ALL_FINE: only the fixes for everyone.
FIXES_WHEN_ALL_FINE = (
    "date_time",
    "network",
    "restart",
    "contact_limits",
    "toggle_contacts_sync",
    "sign_out_in",
    "reset_all_settings",
)

# driver.LOTS_WRONG: iCloud Contacts off, storage full, another account elsewhere.
FIXES_WHEN_LOTS_WRONG = (
    "turn_on_icloud_contacts",
    "free_storage",
    "date_time",
    "network",
    "default_account",
    "restart",
    "same_apple_account",
    "contact_limits",
    "sign_out_in",
    "reset_all_settings",
)


def fix_titles(guide: engine.Guide, fix_ids: tuple[str, ...]) -> list[str]:
    """The headings shown for ``fix_ids``, in the same order."""
    titles = []
    for fix_id in fix_ids:
        fix = guide.fix(fix_id)
        assert fix is not None, f"the guide has no fix {fix_id!r}"
        titles.append(fix.title)
    return titles
