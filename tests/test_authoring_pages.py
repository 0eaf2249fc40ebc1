"""Every authoring screen opens for a guide author and runs under the strict CSP."""

from __future__ import annotations

import pytest

from diagnostics.models import Guide
from tests.authoring import DRAFTS, author, new_version
from tests.test_csp import assert_runs_under_the_policy

pytestmark = pytest.mark.django_db


def test_every_authoring_screen_runs_under_the_policy(guide: Guide) -> None:
    browser = author()
    draft = new_version(browser, guide.pk)
    pages = [
        DRAFTS,
        f"{DRAFTS}new/",
        f"{DRAFTS}{draft.pk}/change/",
        f"{DRAFTS}{draft.pk}/guide/",
        f"{DRAFTS}{draft.pk}/question/0/",
        f"{DRAFTS}{draft.pk}/fix/0/",
        f"{DRAFTS}{draft.pk}/outcome/0/",
        f"{DRAFTS}{draft.pk}/toml/",
        f"{DRAFTS}{draft.pk}/review/",
        f"{DRAFTS}versions/{guide.pk}/",
        "/admin/diagnostics/authorlogentry/",
    ]
    for page in pages:
        response = browser.get(page)
        assert response.status_code == 200, page
        assert_runs_under_the_policy(response)
    started = browser.post(f"{DRAFTS}{draft.pk}/preview/")
    preview = browser.get(started["Location"])
    assert preview.status_code == 200
    assert_runs_under_the_policy(preview)
    assert "Preview of a draft" in preview.content.decode()
