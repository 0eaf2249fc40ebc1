"""The guide file's numbers for planning: minutes, penalties, chances, support cost."""

from __future__ import annotations

import tomllib

import pytest

from diagnostics import engine
from tests.guides import SMALL_GUIDE

PRINTER = SMALL_GUIDE.format(slug="printer")


def problems(old: str, new: str) -> list[str]:
    assert old in PRINTER, "the test's edit must apply"
    _, errors = engine.guide_problems(tomllib.loads(PRINTER.replace(old, new, 1)))
    return [str(error) for error in errors]


def test_the_numbers_are_read() -> None:
    text = (
        PRINTER.replace("minutes = 2\nchance = 0.4\n", "minutes = 2\npenalty = 5\nchance = 0.4\n")
        .replace(
            'cable = ["usb"] }\n',
            'cable = ["usb"] }\n[[fix.chance_if]]\nwhen = { power = ["yes"] }\nchance = 0.6\n',
        )
        .replace(
            'prompt = "Is it connected with a cable?"\nminutes = 1\n',
            'prompt = "Is it connected with a cable?"\nminutes = 3\ndevice = "a computer"\n',
        )
        .replace(
            'prompt = "Is the printer switched on?"\nminutes = 1\n',
            'prompt = "Is the printer switched on?"\nminutes = 1\ngate = true\n',
        )
    )
    guide = engine.load_guide(tomllib.loads(text))
    assert guide.support_minutes == 30
    assert guide.prior_strength == 5  # the default
    replug = guide.fix("replug")
    assert replug is not None
    assert (replug.minutes, replug.penalty, replug.chance, replug.cost) == (2, 5, 0.4, 7)
    (rule,) = replug.chance_if
    assert (dict(rule.when), rule.chance) == ({"power": frozenset({"yes"})}, 0.6)
    cable = guide.question("cable")
    assert cable is not None
    assert (cable.minutes, cable.gate, cable.device) == (3, False, "a computer")
    power = guide.question("power")
    assert power is not None
    assert (power.gate, power.device) == (True, "")
    assert [c.chance for c in power.choices] == [None, None]


def test_choice_chances_are_read_when_every_choice_has_one() -> None:
    text = PRINTER.replace(
        'id = "usb"\nlabel = "USB"\n', 'id = "usb"\nlabel = "USB"\nchance = 0.25\n'
    )
    text = text.replace(
        'id = "wifi"\nlabel = "Wi-Fi"\n', 'id = "wifi"\nlabel = "Wi-Fi"\nchance = 0.75\n'
    )
    guide = engine.load_guide(tomllib.loads(text))
    cable = guide.question("cable")
    assert cable is not None
    assert [c.chance for c in cable.choices] == [0.25, 0.75]


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (
            "support_minutes = 30\n",
            "",
            "guide: needs a number 'support_minutes', more than 0",
        ),
        (
            "support_minutes = 30\n",
            "support_minutes = 0\n",
            "guide: needs a number 'support_minutes', more than 0",
        ),
        (
            "support_minutes = 30\n",
            "support_minutes = 30\nprior_strength = -1\n",
            "guide: needs a number 'prior_strength', more than 0",
        ),
        (
            'prompt = "Is the printer switched on?"\nminutes = 1\n',
            'prompt = "Is the printer switched on?"\n',
            "question 'power': needs a number 'minutes', at least 0",
        ),
        (
            'prompt = "Is the printer switched on?"\nminutes = 1\n',
            'prompt = "Is the printer switched on?"\nminutes = -1\n',
            "question 'power': needs a number 'minutes', at least 0",
        ),
        (
            'prompt = "Is the printer switched on?"\nminutes = 1\n',
            'prompt = "Is the printer switched on?"\nminutes = 1\ngate = "yes"\n',
            "question 'power': 'gate' must be true or false",
        ),
        (
            "minutes = 2\nchance = 0.4\n",
            "minutes = 0\nchance = 0.4\n",
            "fix 'replug': needs a number 'minutes', more than 0",
        ),
        (
            "minutes = 2\nchance = 0.4\n",
            'minutes = "2"\nchance = 0.4\n',
            "fix 'replug': needs a number 'minutes', more than 0",
        ),
        (
            "minutes = 2\nchance = 0.4\n",
            "minutes = 2\nchance = 0.4\npenalty = -3\n",
            "fix 'replug': needs a number 'penalty', at least 0",
        ),
        (
            "minutes = 2\nchance = 0.4\n",
            "minutes = 2\n",
            "fix 'replug': needs a number 'chance', from 0 to 1",
        ),
        (
            "minutes = 2\nchance = 0.4\n",
            "minutes = 2\nchance = 1.5\n",
            "fix 'replug': needs a number 'chance', from 0 to 1",
        ),
        (
            "minutes = 2\nchance = 0.4\n",
            "minutes = 2\nchance = nan\n",
            "fix 'replug': needs a number 'chance', from 0 to 1",
        ),
        (
            "minutes = 2\nchance = 0.4\n",
            "cost = 1\n",
            "fix 'replug': 'cost' is replaced by 'minutes' (effort) and 'penalty'"
            " (disruption, in minutes)",
        ),
        (
            'cable = ["usb"] }\n',
            'cable = ["usb"] }\n[[fix.chance_if]]\nwhen = { toner = ["low"] }\nchance = 0.5\n',
            "fix 'replug', chance_if: condition on unknown question 'toner'",
        ),
        (
            'cable = ["usb"] }\n',
            'cable = ["usb"] }\n[[fix.chance_if]]\nwhen = { power = ["yes"] }\nchance = 2\n',
            "fix 'replug', chance_if: needs a number 'chance', from 0 to 1",
        ),
        (
            'id = "usb"\nlabel = "USB"\n',
            'id = "usb"\nlabel = "USB"\nchance = 0.5\n',
            "question 'cable': give every choice a 'chance', or none",
        ),
    ],
)
def test_bad_numbers_are_named(old: str, new: str, problem: str) -> None:
    assert problems(old, new) == [problem]


def test_a_gate_must_be_able_to_end_the_diagnosis() -> None:
    text = PRINTER.replace(
        'prompt = "Is it connected with a cable?"\nminutes = 1\n',
        'prompt = "Is it connected with a cable?"\nminutes = 1\ngate = true\n',
    )
    _, errors = engine.guide_problems(tomllib.loads(text))
    assert [str(e) for e in errors] == [
        "cable: is a gate, so one of its choices must lead to an outcome"
    ]


def test_choice_chances_must_add_up_to_one() -> None:
    text = PRINTER.replace(
        'id = "usb"\nlabel = "USB"\n', 'id = "usb"\nlabel = "USB"\nchance = 0.5\n'
    )
    text = text.replace(
        'id = "wifi"\nlabel = "Wi-Fi"\n', 'id = "wifi"\nlabel = "Wi-Fi"\nchance = 0.4\n'
    )
    _, errors = engine.guide_problems(tomllib.loads(text))
    assert [str(e) for e in errors] == [
        "question 'cable': the choices' chances must add up to 1, not 0.9"
    ]
