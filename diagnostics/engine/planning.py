"""Planning: in which order to offer the fixes that apply.

This is the one place that decides the order. Today it is the guide author's:
least disruptive first, then the order of the file. The learned ranking
(expected cost of repair, fed with plain numbers) replaces the key here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from diagnostics.engine.model import Fix, Guide


def matches(conditions: Mapping[str, frozenset[str]], answers: Mapping[str, str]) -> bool:
    """Whether ``answers`` meet every condition (a question id to its allowed choices)."""
    return all(answers.get(q) in allowed for q, allowed in conditions.items())


def may_match(conditions: Mapping[str, frozenset[str]], answers: Mapping[str, str]) -> bool:
    """Whether ``conditions`` can still hold: those on questions already answered must."""
    return all(q not in answers or answers[q] in allowed for q, allowed in conditions.items())


def rank_fixes(guide: Guide, candidates: Sequence[Fix]) -> list[Fix]:
    """Order ``candidates``, best first: least disruptive, then the guide's own order."""
    order = {fix.id: i for i, fix in enumerate(guide.fixes)}
    return sorted(candidates, key=lambda fix: (fix.cost, order[fix.id]))


def applicable_fixes(guide: Guide, answers: Mapping[str, str]) -> list[Fix]:
    """Every fix whose ``when`` the answers meet, ranked.

    ``answers`` must be the answers on the current path
    (:func:`~diagnostics.engine.flow.path_answers`): one left over from a path
    the person turned away from does not count.
    """
    return rank_fixes(guide, [f for f in guide.fixes if matches(f.when, answers)])
