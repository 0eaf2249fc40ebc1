"""Settings for the benchmark's floor: the production settings, plus one view.

The floor is the least a step POST could cost on this stack. It runs every
production middleware (security headers, CSP, the rate-limit counter, the
session, CSRF), loads the session, reads the session's diagnosis, moves it
with a compare-and-swap UPDATE of its revision (the step's also writes the
journal, last step and status) and inserts an answer row, in one transaction:
what recording an answer takes. It runs no engine and renders
nothing; it answers with a few bytes of text. Whatever a step POST costs
beyond this is ours to cut; this much is Django, gunicorn and the database.

Used by bench/step_post.py only (``--pythonpath bench``), never in production.
"""

from __future__ import annotations

from helpdesk.settings import *  # noqa: F403 - the production settings, unchanged

ROOT_URLCONF = "floor_urls"
