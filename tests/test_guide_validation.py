"""Guide files are validated before use; every rejection names the file and the step."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from diagnostics.catalog.files import guide_problems
from diagnostics.checks import check_guides
from tests.guides import SMALL_GUIDE


def write(directory: Path, text: str, slug: str = "printer") -> Path:
    path = directory / f"{slug}.toml"
    path.write_text(text.format(slug=slug) if "{slug}" in text else text, "utf-8")
    return path


def problems_for(tmp_path: Path, old: str, new: str) -> list[str]:
    text = SMALL_GUIDE.format(slug="printer")
    assert old in text, "the test's edit must apply"
    write(tmp_path, text.replace(old, new, 1))
    return guide_problems(tmp_path)


def test_the_small_guide_is_valid(tmp_path: Path) -> None:
    write(tmp_path, SMALL_GUIDE)
    assert guide_problems(tmp_path) == []


def test_shipped_guides_are_valid() -> None:
    assert guide_problems() == []


def test_rejects_a_choice_leading_to_an_unknown_step(tmp_path: Path) -> None:
    problems = problems_for(tmp_path, 'next = "switch_on"', 'next = "switch_of"')
    assert problems == [
        "printer.toml: question 'power': choice 'no' leads to unknown step 'switch_of'"
    ]


def test_rejects_a_condition_on_an_unknown_choice(tmp_path: Path) -> None:
    problems = problems_for(tmp_path, 'cable = ["usb"]', 'cable = ["serial"]')
    assert problems == [
        "printer.toml: fix 'replug': condition on unknown choice 'serial' of question 'cable'"
    ]


def test_rejects_a_condition_on_an_unknown_question(tmp_path: Path) -> None:
    problems = problems_for(tmp_path, 'cable = ["usb"]', 'toner = ["usb"]')
    assert problems == ["printer.toml: fix 'replug': condition on unknown question 'toner'"]


def test_rejects_duplicate_step_ids(tmp_path: Path) -> None:
    problems = problems_for(tmp_path, 'id = "router"', 'id = "replug"')
    assert problems == ["printer.toml: replug: duplicate id (already used by a fix)"]


def test_rejects_an_id_shared_by_a_question_and_an_outcome(tmp_path: Path) -> None:
    problems = problems_for(tmp_path, 'id = "cable"', 'id = "fixed"')
    assert len(problems) == 1
    assert problems[0].startswith("printer.toml: fixed: duplicate id")


def test_rejects_duplicate_choice_ids(tmp_path: Path) -> None:
    problems = problems_for(tmp_path, 'id = "wifi"', 'id = "usb"')
    assert problems == ["printer.toml: question 'cable': duplicate choice id 'usb'"]


def test_rejects_an_unreachable_fix(tmp_path: Path) -> None:
    # A second condition that can never hold together with the first.
    problems = problems_for(
        tmp_path, 'when = { cable = ["usb"] }', 'when = { cable = ["usb"], power = ["no"] }'
    )
    assert problems == ["printer.toml: replug: can never be reached on any path"]


def test_rejects_an_unreachable_outcome(tmp_path: Path) -> None:
    problems = problems_for(tmp_path, 'next = "switch_on"\n', "")
    assert problems == ["printer.toml: switch_on: can never be reached on any path"]


def test_rejects_an_unreachable_question(tmp_path: Path) -> None:
    # "power" now always jumps past "cable".
    problems = problems_for(tmp_path, 'label = "Yes"', 'label = "Yes"\nnext = "fixed"')
    assert "printer.toml: cable: can never be reached on any path" in problems


def test_rejects_a_path_that_never_reaches_an_outcome(tmp_path: Path) -> None:
    # Wi-Fi loops back to the first question, so that path goes round forever.
    problems = problems_for(tmp_path, 'label = "Wi-Fi"', 'label = "Wi-Fi"\nnext = "power"')
    assert "printer.toml: power: is reached again on one path, so that path never ends" in problems


def test_rejects_a_missing_escalation_outcome(tmp_path: Path) -> None:
    problems = problems_for(tmp_path, 'exhausted = "escalate"', 'exhausted = "give_up"')
    assert problems == ["printer.toml: guide: 'exhausted' refers to unknown outcome 'give_up'"]


def test_rejects_a_fix_without_steps(tmp_path: Path) -> None:
    problems = problems_for(tmp_path, 'steps = ["Turn the router off and on."]', "steps = []")
    assert problems == ["printer.toml: fix 'router': needs at least one item in 'steps'"]


PRINTER = SMALL_GUIDE.format(slug="printer")
FIXES = PRINTER[PRINTER.index("[[fix]]") : PRINTER.index("[[outcome]]")]
CABLE_CHOICES = PRINTER[PRINTER.index('[[question.choice]]\nid = "usb"') : PRINTER.index("[[fix]]")]


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (  # one fix, headed like a plain table
            FIXES,
            '[fix]\nid = "router"\ntitle = "Restart"\nwhy = "Why."\nsteps = ["Do it."]\n'
            "minutes = 4\nchance = 0.3\n",
            "printer.toml: guide: 'fix' must be a list of tables, each headed [[fix]]",
        ),
        (  # a choice written as a value
            CABLE_CHOICES,
            'choice = "usb"\n\n',
            "printer.toml: question 'cable': 'choice' must be a list of tables,"
            " each headed [[question.choice]]",
        ),
    ],
)
def test_rejects_a_table_written_with_the_wrong_brackets(
    tmp_path: Path, old: str, new: str, problem: str
) -> None:
    assert problems_for(tmp_path, old, new) == [problem]


def test_rejects_invalid_toml(tmp_path: Path) -> None:
    write(tmp_path, "[guide\nslug = ")
    (problem,) = guide_problems(tmp_path)
    assert problem.startswith("printer.toml: ")


def test_rejects_a_slug_that_does_not_match_the_file_name(tmp_path: Path) -> None:
    write(tmp_path, SMALL_GUIDE.format(slug="scanner"), slug="printer")
    assert guide_problems(tmp_path) == [
        "printer.toml: guide: slug 'scanner' must match the file name"
    ]


def test_system_check_reports_a_broken_guide(tmp_path: Path, settings: Any) -> None:
    write(tmp_path, SMALL_GUIDE.replace('cable = ["usb"]', 'cable = ["serial"]'))
    settings.HELPDESK_GUIDES_DIR = tmp_path
    (error,) = check_guides()
    assert error.id == "guides.E001"
    assert "printer.toml: fix 'replug'" in error.msg


@pytest.mark.django_db
def test_a_broken_guide_stops_the_server_from_starting(tmp_path: Path, settings: Any) -> None:
    write(tmp_path, SMALL_GUIDE.replace('id = "router"', 'id = "replug"'))
    settings.HELPDESK_GUIDES_DIR = tmp_path
    with pytest.raises(SystemCheckError, match="duplicate id"):
        call_command("check")


def test_the_documented_example_is_a_valid_guide(tmp_path: Path) -> None:
    docs = Path(__file__).resolve().parent.parent / "docs" / "writing-guides.md"
    (example,) = re.findall(r"```toml\n(.*?)```", docs.read_text("utf-8"), flags=re.DOTALL)
    write(tmp_path, textwrap.dedent(example), slug="printer-offline")
    assert guide_problems(tmp_path) == []
