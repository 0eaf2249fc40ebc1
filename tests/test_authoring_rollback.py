"""Any earlier version can be published again, as a new version; the log says who did it."""

from __future__ import annotations

import pytest

from diagnostics.authoring.guide_file import to_toml
from diagnostics.models import AuthorLogEntry, Guide, GuideVersion
from tests.authoring import DRAFTS, author, new_version, publish, save_raw

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_versions(guide: Guide) -> Guide:
    browser = author("grace")
    draft = new_version(browser, guide.pk)
    data = draft.data
    data["guide"]["title"] = "Version two"
    assert save_raw(browser, draft, to_toml(data)) == 302
    assert publish(browser, draft) == 302
    guide.refresh_from_db()
    return guide


def test_rolling_back_publishes_the_earlier_guide_as_a_new_version(two_versions: Guide) -> None:
    guide = two_versions
    first = guide.versions.get(number=1)
    browser = author()
    page = browser.get(f"{DRAFTS}versions/{guide.pk}/").content.decode()
    assert "Roll back to version 1" in page
    assert "Roll back to version 2" not in page  # the current one
    response = browser.post(
        f"{DRAFTS}version/{first.pk}/rollback/", {"current": guide.current_version_id}
    )
    assert response.status_code == 302
    guide.refresh_from_db()
    assert guide.current_version.number == 3
    assert guide.current_version.data == first.data
    assert guide.title == first.data["guide"]["title"]
    assert GuideVersion.objects.filter(guide=guide).count() == 3
    entry = AuthorLogEntry.objects.get(action="rolled_back")
    assert (entry.username, entry.version_id) == ("ada", guide.current_version_id)
    log = browser.get(f"{DRAFTS}versions/{guide.pk}/").content.decode()
    assert "version 3 is version 1 again" in log
    assert "grace" in log
    listed = browser.get("/admin/diagnostics/authorlogentry/").content.decode()
    assert "Rolled back" in listed
    assert "Published" in listed


def test_a_second_roll_back_from_the_same_page_changes_nothing(two_versions: Guide) -> None:
    guide = two_versions
    first = guide.versions.get(number=1)
    browser = author()
    form = {"current": guide.current_version_id}
    assert browser.post(f"{DRAFTS}version/{first.pk}/rollback/", form).status_code == 302
    before = list(GuideVersion.objects.values_list("pk", flat=True))
    again = browser.post(f"{DRAFTS}version/{first.pk}/rollback/", form)
    assert again.status_code == 409
    assert list(GuideVersion.objects.values_list("pk", flat=True)) == before
    assert AuthorLogEntry.objects.filter(action="rolled_back").count() == 1


def test_the_current_version_cannot_be_rolled_back_to(two_versions: Guide) -> None:
    guide = two_versions
    browser = author()
    response = browser.post(
        f"{DRAFTS}version/{guide.current_version_id}/rollback/",
        {"current": guide.current_version_id},
    )
    assert response.status_code == 400
    assert GuideVersion.objects.filter(guide=guide).count() == 2
