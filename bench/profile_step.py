"""Where a step POST's time goes, in one process, without HTTP or gunicorn.

    .venv/bin/python bench/profile_step.py [--diagnoses 60] [--htmx|--no-htmx] [--top 30]

Migrates a fresh SQLite database in a temporary folder (production settings,
DEBUG off), then walks complete diagnoses through Django's test client as
bench/step_post.py's browsers do: the guide page, Start, then one answer POST
per step (htmx panels, or post/redirect/get pairs with ``--no-htmx``). Only
the answer POSTs (and, without htmx, the GET they redirect to) are timed and
profiled; the figures are per step.

It prints the mean time per step, then how it splits: the step command
(``commands.answer_step``), working out where the diagnosis stands
(``commands.load_state``), drawing the page or panel (``render_page``: the
context processors and the template), and the rest (middleware, session,
CSRF, forms); then as many floor POSTs (bench/floor_urls.py) from the last
browser, and the ratio of the two; then what each diagnosis's page load and
Start cost (bench/step_post.py's step server serves those too, between the
steps); then cProfile's top functions. Times
are CPU time of this process (SQLite runs in it), so a busy machine skews
them less than it skews wall time.
It prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from random import Random
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import servers


def _timed(totals: dict[str, float], name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """``function``, adding its CPU time to ``totals[name]`` (outermost calls only)."""
    depth = [0]

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        depth[0] += 1
        began = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            depth[0] -= 1
            if not depth[0]:
                totals[name] += time.process_time() - began

    return wrapper


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--diagnoses", type=int, default=60)
    parser.add_argument("--htmx", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--top", type=int, default=30, help="functions listed; 0: no cProfile")
    parser.add_argument("--dump", help="write cProfile's statistics to this file")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="helpdesk-profile-"))
    url = f"sqlite:///{folder / 'profile.sqlite3'}"
    env = servers.production_env(url, DJANGO_STATIC_ROOT=str(folder / "static"))
    servers.manage(env, "prepare_database")
    servers.manage(env, "collectstatic", "--noinput", "--verbosity=0")
    os.environ.update(env)
    # The production settings plus the benchmark's floor view (bench/floor_settings.py).
    os.environ["DJANGO_SETTINGS_MODULE"] = "floor_settings"
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    os.environ["HELPDESK_RATE_LIMIT_POSTS"] = "100000000"

    import django

    # The events' JSON lines go to a file, as gunicorn's output does in bench/step_post.py.
    shown, sys.stdout = sys.stdout, (folder / "events.log").open("w")
    django.setup()
    sys.stdout = shown
    from django.test import Client

    from diagnostics import events
    from diagnostics.flow import commands, views

    totals: dict[str, float] = defaultdict(float)
    views.commands = _Patched(commands, totals)  # type: ignore[assignment]
    # The panel is a partial (step.html#panel), which Template.render never sees.
    views.render_page = _timed(totals, "render_page", views.render_page)  # type: ignore[attr-defined]
    # Parts of the above, listed apart ("  of which").
    parts: dict[str, float] = defaultdict(float)
    for owner, name in ((commands, "_decided"), (commands, "_commit"), (events, "step_done")):
        if not hasattr(owner, name):  # an older layout (comparing before and after)
            continue
        setattr(
            owner,
            name,
            _timed(parts, f"{owner.__name__.rpartition('.')[2]}.{name}", getattr(owner, name)),
        )
    _time_the_writes(parts)

    rng = Random(7)
    headers = {"HX-Request": "true"} if args.htmx else {}
    profiler = cProfile.Profile()
    floor = _Browser(Client, {})  # a second browser, posting to the floor after each step
    floor.start()
    floor_token = floor.client.cookies["csrftoken"].value
    steps = starts = 0
    elapsed = floor_elapsed = start_elapsed = 0.0
    for number in range(args.diagnoses + 1):
        if number == 1:  # the first diagnosis warms the caches: not measured
            totals.clear()
            parts.clear()
        browser = _Browser(Client, headers)
        browser.follow(browser.client.get("/healthz"))  # a new client loads its middleware here
        # Only the steps' share goes in the split: what the page load and Start
        # spend in the timed functions is taken out again.
        kept = (dict(totals), dict(parts))
        began = time.process_time()
        browser.start()
        for split, before in zip((totals, parts), kept, strict=True):
            split.clear()
            split.update(before)
        if number:
            start_elapsed += time.process_time() - began
            starts += 1
        for _ in range(40):
            choices = re.findall(r'name="choice" value="([^"]*)"', browser.html)
            if not choices:
                break
            fields = _fields(browser.html)
            data = {name: fields[name] for name in ("csrfmiddlewaretoken", "diagnosis", "step")}
            data["choice"] = servers.pick(rng, fields["step"], choices)
            began = time.process_time()
            if number and args.top:
                profiler.enable()
            browser.post(_ANSWER, data)
            if args.top:
                profiler.disable()
            step_done = time.process_time()
            # The floor POST loads a session and saves a row too: not the step's.
            kept_parts = dict(parts)
            moved = floor.client.post(
                "/floor/", f"csrfmiddlewaretoken={floor_token}", content_type=_FORM
            )
            parts.clear()
            parts.update(kept_parts)
            if number:
                assert moved.content == b"moved\n", moved.content
                elapsed += step_done - began
                floor_elapsed += time.process_time() - step_done
                steps += 1
    kind = "htmx panels" if args.htmx else "post/redirect/get pairs"
    print(f"{steps} answer POSTs ({kind}), in-process on SQLite, CPU time per step")
    accounted = 0.0
    for name, seconds in sorted(totals.items(), key=lambda item: -item[1]):
        accounted += seconds
        print(f"  {name:<28} {seconds / steps * 1000:7.2f} ms  {seconds / elapsed:6.1%}")

    def part(name: str, seconds: float) -> None:
        print(f"    of which {name:<19} {seconds / steps * 1000:7.2f} ms  {seconds / elapsed:6.1%}")

    for name, seconds in sorted(parts.items(), key=lambda item: -item[1]):
        if name not in _IN_THE_REST:
            part(name, seconds)
    rest = elapsed - accounted
    print(f"  {'the rest (Django…)':<28} {rest / steps * 1000:7.2f} ms  {rest / elapsed:6.1%}")
    for name in _IN_THE_REST:
        part(name, parts.get(name, 0.0))
    print(f"  {'the step POST':<28} {elapsed / steps * 1000:7.2f} ms")
    print(
        f"  {'a floor POST after each':<28} {floor_elapsed / steps * 1000:7.2f} ms  "
        f"(step/floor throughput, CPU only: {floor_elapsed / elapsed:.2f}x)"
    )
    print(
        f"  {'page load + Start, each':<28} {start_elapsed / starts * 1000:7.2f} ms  "
        f"(a diagnosis: {steps / starts:.1f} steps; with them, per step "
        f"{(elapsed + start_elapsed) / steps * 1000:.2f} ms, "
        f"{floor_elapsed / (elapsed + start_elapsed):.2f}x the floor)"
    )
    if not args.top:
        return 0
    print()
    stats = pstats.Stats(profiler)
    if args.dump:
        stats.dump_stats(args.dump)
    stats.sort_stats("cumulative").print_stats(args.top)
    stats.sort_stats("tottime").print_stats(args.top)
    return 0


_ANSWER = f"{servers.GUIDE_PATH}answer/"
# What browsers post (the test client would send multipart).
_FORM = "application/x-www-form-urlencoded"


class _Browser:
    """A test client posting urlencoded forms and following redirects, as browsers do."""

    def __init__(self, client_class: Any, headers: dict[str, str]) -> None:
        self.client = client_class(headers={"X-Forwarded-Proto": "https", "Host": "localhost"})
        self.headers = headers
        self.html = ""

    def follow(self, response: Any) -> None:
        while response.status_code in (302, 303):
            response = self.client.get(response["Location"])
        assert response.status_code == 200, response.status_code
        self.html = response.content.decode()

    def post(self, path: str, data: dict[str, str]) -> None:
        body = urlencode(data)
        self.follow(self.client.post(path, body, content_type=_FORM, headers=self.headers))

    def start(self) -> None:
        self.follow(self.client.get(servers.GUIDE_PATH))
        fields = _fields(self.html)
        start = {"csrfmiddlewaretoken": fields["csrfmiddlewaretoken"], "ticket": fields["ticket"]}
        self.post(f"{servers.GUIDE_PATH}start/", start)


# Parts timed in the middleware, before any view: listed under "the rest".
_IN_THE_REST = ("session load",)


def _time_the_writes(parts: dict[str, float]) -> None:
    """Time what every step POST pays for beyond the planner and the panel: loading
    the session, and the rows it writes (the answer or fix result, the step events)."""
    from django.contrib.sessions.backends import db as session_db

    from diagnostics.models import Answer, FixAttempt, StepEvent

    session_db.SessionStore.load = _timed(parts, "session load", session_db.SessionStore.load)  # type: ignore[method-assign]
    for model in (Answer, FixAttempt):
        model.save = _timed(parts, "the answer row", model.save)  # type: ignore[method-assign]
    StepEvent.objects.bulk_create = _timed(  # type: ignore[method-assign]
        parts, "the step events", StepEvent.objects.bulk_create
    )


class _Patched:
    """The commands module as the views see it, with the step commands timed."""

    def __init__(self, module: Any, totals: dict[str, float]) -> None:
        self._module = module
        self._totals = totals

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._module, name)
        if name in ("answer_step", "answer_again", "load_state"):
            return _timed(self._totals, f"commands.{name}", value)
        return value


def _fields(html: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for match in servers._FIELD.finditer(html):
        found.setdefault(match["name"], match["value"])
    return found


if __name__ == "__main__":
    sys.exit(main())
