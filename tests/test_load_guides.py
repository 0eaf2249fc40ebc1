"""``load_guides`` publishes guide files: idempotent, versioned, all or nothing."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from diagnostics.models import Diagnosis, Guide, GuideVersion, guide_for_version
from tests.conftest import Flow
from tests.guides import SMALL_GUIDE
from tests.test_guide_validation import write

pytestmark = pytest.mark.django_db


def load(directory: Path | None = None) -> str:
    out = io.StringIO()
    args = ["--dir", str(directory)] if directory else []
    call_command("load_guides", *args, stdout=out)
    return out.getvalue()


def test_loads_every_shipped_guide() -> None:
    assert load() == ("icloud-contacts: loaded as version 1\nicloud-photos: loaded as version 1\n")
    titles = {
        "icloud-contacts": "iPhone contacts not backing up to iCloud",
        "icloud-photos": "iPhone photos not uploading to iCloud",
    }
    for slug, title in titles.items():
        guide = Guide.objects.get(slug=slug)
        assert guide.title == title
        assert guide.current_version.number == 1
        assert guide_for_version(guide.current_version_id).questions


def test_loading_twice_changes_nothing() -> None:
    load()
    assert load() == (
        "icloud-contacts: unchanged at version 1\nicloud-photos: unchanged at version 1\n"
    )
    assert GuideVersion.objects.count() == 2


def test_a_changed_file_becomes_a_new_version(tmp_path: Path) -> None:
    write(tmp_path, SMALL_GUIDE)
    load(tmp_path)
    write(tmp_path, SMALL_GUIDE.replace("Printing again", "Printing once more"))
    assert load(tmp_path) == "printer: loaded as version 2\n"
    guide = Guide.objects.get(slug="printer")
    assert guide.current_version.number == 2
    assert (
        guide_for_version(guide.current_version_id).outcomes["fixed"].title == "Printing once more"
    )
    assert guide.versions.count() == 2


def test_diagnoses_in_progress_keep_their_version(
    tmp_path: Path, client: Any, settings: Any
) -> None:
    settings.HELPDESK_GUIDES_DIR = tmp_path
    write(tmp_path, SMALL_GUIDE)
    load()
    flow = Flow(client, slug="printer").start()
    flow.answer("yes")
    assert flow.heading == "Is it connected with a cable?"

    # The guide is republished with a reworded question while this person is mid-flow.
    write(tmp_path, SMALL_GUIDE.replace("Is it connected with a cable?", "How is it connected?"))
    load()
    flow.get()
    assert flow.heading == "Is it connected with a cable?"
    flow.answer("usb")
    assert flow.heading == "Plug the cable back in"
    assert Diagnosis.objects.get().guide_version.number == 1

    # A new diagnosis starts on the new version.
    flow.restart()
    flow.answer("yes")
    assert flow.heading == "How is it connected?"


def test_a_broken_file_loads_nothing(tmp_path: Path) -> None:
    write(tmp_path, SMALL_GUIDE)
    write(tmp_path, SMALL_GUIDE.replace('id = "router"', 'id = "replug"'), slug="scanner")
    with pytest.raises(CommandError, match=r"scanner\.toml: .*duplicate id"):
        load(tmp_path)
    assert not Guide.objects.exists()


def test_an_empty_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="No guide files"):
        load(tmp_path)
