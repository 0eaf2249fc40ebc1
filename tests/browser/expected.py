"""The fixes a person is offered, in order, written down from the shipped guide.

Also the words of a question (``prompt``, ``label``) that tests click by.

The browser tests take the order from here, not from the engine under test,
so a ranking bug shows in them as a wrong heading. Worked out by hand from
diagnostics/guides/icloud-contacts.toml (chance per minute of each fix in the
context the answers in driver.py make; ties keep the file's order). When the
ranking or the guide changes, update these lists by hand.
"""

from __future__ import annotations

from diagnostics import engine

# driver.ALL_FINE: only the fixes for everyone, the article's first.
FIXES_WHEN_ALL_FINE = (
    "restart",
    "toggle_contacts_sync",
    "default_account",
    "network",
    "date_time",
    "sign_out_in",
    "contact_limits",
    "reset_all_settings",
)

# driver.LOTS_WRONG: iCloud Contacts off, storage full, another account elsewhere.
# (Questions come between fixes: iCloud.com after turn_on_icloud_contacts, the
# storage question after date_time, the other devices' one after free_storage;
# each only once asking it then costs less than putting it off again.)
FIXES_WHEN_LOTS_WRONG = (
    "turn_on_icloud_contacts",
    "restart",
    "default_account",
    "network",
    "date_time",
    "free_storage",
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


def prompt(guide: engine.Guide, question_id: str) -> str:
    question = guide.question(question_id)
    assert question is not None
    return question.prompt


def label(guide: engine.Guide, question_id: str, choice_id: str) -> str:
    question = guide.question(question_id)
    assert question is not None
    choice = question.choice(choice_id)
    assert choice is not None
    return choice.label
