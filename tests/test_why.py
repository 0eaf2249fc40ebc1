"""The fix screen says why a fix comes now, and each sentence only when its numbers back it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from diagnostics.learning import api
from diagnostics.models import Evidence, Guide
from tests.conftest import Flow
from tests.test_guide_validation import write

# Every diagnosis here gets the same exploration draw (conftest's fixed_draw):
# some draws skip the question or put the fixes the other way round, and these
# tests are about which words the fix screen uses.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fixed_draw")]

# One question that decides which cheap fix applies (so it is worth asking),
# then for USB: "quick" (1 minute) before "thorough" (30 minutes, likelier):
# the cheap one comes first for being cheap. With no evidence, or evidence that
# agrees with the author, no draw puts them the other way round.
WHY_GUIDE = """
[guide]
slug = "why"
title = "Scanner not found"
summary = "A guide for the why tests."
resolved = "fixed"
exhausted = "escalate"
support_minutes = 60

[[question]]
id = "link"
prompt = "How is the scanner connected?"
minutes = 1
[[question.choice]]
id = "usb"
label = "USB"
[[question.choice]]
id = "wifi"
label = "Wi-Fi"

[[fix]]
id = "quick"
title = "Unplug it and plug it back in"
why = "A loose plug is common."
steps = ["Unplug it.", "Plug it back in."]
minutes = 1
chance = 0.3
when = { link = ["usb"] }

[[fix]]
id = "pair"
title = "Pair it with the network again"
why = "Wi-Fi scanners forget their network."
steps = ["Hold the Wi-Fi button.", "Choose your network."]
minutes = 2
chance = 0.5
when = { link = ["wifi"] }

[[fix]]
id = "thorough"
title = "Reinstall the driver"
why = "A broken driver hides the scanner."
steps = ["Remove the driver.", "Install it again."]
minutes = 30
chance = 0.4

[[outcome]]
id = "fixed"
kind = "resolved"
title = "Scanning again"
body = "Glad that worked."

[[outcome]]
id = "escalate"
kind = "escalate"
title = "Let's get you some help"
body = "Support will take it from here."
"""


WORKED_FOR = re.compile(r"Worked for (\d+) of (\d+) people who answered like you")


@pytest.fixture
def why_guide(tmp_path: Path) -> Guide:
    write(tmp_path, WHY_GUIDE, slug="why")
    call_command("load_guides", "--dir", str(tmp_path), stdout=open("/dev/null", "w"))  # noqa: SIM115
    return Guide.objects.get(slug="why")


def reason(flow: Flow) -> str:
    match = re.search(r'<p class="reason" data-reason="(\w+)">([^<]*)</p>', flow.html)
    assert match, "the fix screen gives a reason"
    return match.group(2)


def evidence(fix: str, *, fixed: int, tried: int, context: str = "link=usb") -> None:
    """``tried`` diagnoses with these answers tried ``fix``; it fixed ``fixed`` of them."""
    rows = {
        ("fixed", fix): fixed,
        ("tried", fix): tried,
        ("offered", fix): tried,
        ("unfixed_after", fix): tried - fixed,
    }
    for (kind, key), count in rows.items():
        if count:
            Evidence.objects.create(
                guide_id="why", context=context, kind=kind, key=key, count=count, weight=count
            )


def first_fix(*, pin: bool = False) -> Flow:
    if pin:
        Guide.objects.filter(slug="why").update(pin_author_order=True)
    flow = Flow(Client(), slug="why").start()
    assert flow.step == "question:link"
    flow.answer("usb")
    assert flow.step.startswith("fix:")
    return flow


def test_no_data_the_cheap_fix_first_is_quick_to_try(why_guide: Guide) -> None:
    flow = first_fix()
    assert flow.step == "fix:quick"
    assert reason(flow) == "Quick to try (about 1 minute)"
    assert not WORKED_FOR.search(flow.html)


def test_no_data_the_next_fix_is_the_guides_suggestion(why_guide: Guide) -> None:
    flow = first_fix()
    flow.answer("not_fixed")
    assert flow.step == "fix:thorough"
    assert reason(flow) == "Our guide suggests this next"


def test_enough_similar_diagnoses_give_the_true_counts(why_guide: Guide) -> None:
    assert api.MIN_SAMPLE == 20
    evidence("quick", fixed=31, tried=40)
    flow = first_fix()
    assert flow.step == "fix:quick"
    assert reason(flow) == "Worked for 31 of 40 people who answered like you"


def test_just_under_the_minimum_makes_no_claim(why_guide: Guide) -> None:
    evidence("quick", fixed=4, tried=api.MIN_SAMPLE - 1)  # about what the author said
    flow = first_fix()
    assert flow.step == "fix:quick"
    assert not WORKED_FOR.search(flow.html)
    assert reason(flow) == "Quick to try (about 1 minute)"


def test_at_the_minimum_the_claim_is_made(why_guide: Guide) -> None:
    evidence("quick", fixed=12, tried=api.MIN_SAMPLE)
    flow = first_fix()
    assert reason(flow) == f"Worked for 12 of {api.MIN_SAMPLE} people who answered like you"


def test_people_who_answered_otherwise_do_not_count(why_guide: Guide) -> None:
    evidence("quick", fixed=31, tried=40, context="link=wifi")
    flow = first_fix()
    assert not WORKED_FOR.search(flow.html)


def test_a_pinned_guide_claims_nothing_from_evidence(why_guide: Guide) -> None:
    evidence("quick", fixed=31, tried=40)
    flow = first_fix(pin=True)
    assert not WORKED_FOR.search(flow.html)
