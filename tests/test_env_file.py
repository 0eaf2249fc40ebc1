"""The .env file: `make run` writes it, manage.py reads it, production only when told to.

Every case runs a fresh process, since settings are read once, at start-up. The
project's own .env is never touched: manage.py is copied into a temporary folder
(it reads the .env beside itself) and imports the project through PYTHONPATH.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LOCAL_ENV = "DJANGO_DEBUG=true\nDJANGO_SECRET_KEY=local-only-key-from-the-env-file\n"
PRINT_SETTINGS = "from django.conf import settings as s; print(s.DEBUG, s.TIME_ZONE, s.SECRET_KEY)"


def clean_env(**variables: str) -> dict[str, str]:
    """The machine's environment without any setting of ours, plus ``variables``."""
    ours = ("DJANGO_", "HELPDESK_", "DATABASE_", "REDIS_", "SQLITE_", "SESSION_", "LOG_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    return {**env, "PYTHONPATH": str(ROOT), **variables}


def local_copy(tmp_path: Path, env_file: str | None) -> Path:
    """A folder holding a copy of manage.py and, if given, a .env beside it."""
    shutil.copy(ROOT / "manage.py", tmp_path / "manage.py")
    if env_file is not None:
        (tmp_path / ".env").write_text(env_file)
    return tmp_path / "manage.py"


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_manage_py_works_with_the_local_env_file_and_no_variables(tmp_path: Path) -> None:
    manage = local_copy(tmp_path, LOCAL_ENV)
    result = run([str(manage), "check"], clean_env(), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_manage_py_reads_its_own_env_file_from_any_folder(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    manage = local_copy(project, LOCAL_ENV)
    result = run([str(manage), "shell", "-v", "0", "-c", PRINT_SETTINGS], clean_env(), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "UTC", "local-only-key-from-the-env-file"]


def test_without_the_env_file_manage_py_still_needs_a_secret_key(tmp_path: Path) -> None:
    manage = local_copy(tmp_path, None)
    result = run([str(manage), "check"], clean_env(), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == "error: DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.\n"


def test_real_environment_variables_win_over_the_env_file(tmp_path: Path) -> None:
    manage = local_copy(tmp_path, LOCAL_ENV + "DJANGO_TIME_ZONE=Europe/Paris\n")
    env = clean_env(DJANGO_TIME_ZONE="UTC", DJANGO_SECRET_KEY="from-the-real-environment")
    result = run([str(manage), "shell", "-v", "0", "-c", PRINT_SETTINGS], env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "UTC", "from-the-real-environment"]


def test_the_env_file_takes_comments_quotes_and_blank_lines(tmp_path: Path) -> None:
    manage = local_copy(
        tmp_path,
        "# local settings\n\nDJANGO_DEBUG = true\n"
        "DJANGO_SECRET_KEY='quoted # not a comment'\n"
        'DJANGO_TIME_ZONE="Europe/Paris"\n',
    )
    result = run([str(manage), "shell", "-v", "0", "-c", PRINT_SETTINGS], clean_env(), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.rstrip("\n").split(maxsplit=2) == [
        "True",
        "Europe/Paris",
        "quoted # not a comment",
    ]


def test_a_line_that_is_not_a_setting_stops_with_the_file_and_line(tmp_path: Path) -> None:
    manage = local_copy(tmp_path, "DJANGO_DEBUG=true\nexport SECRET hunter2\n")
    result = run([str(manage), "check"], clean_env(), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == f"error: {tmp_path / '.env'}, line 2: expected NAME=value.\n"
    assert "hunter2" not in result.stderr  # the line may hold a secret


def test_the_web_server_does_not_read_a_env_file_unless_told(tmp_path: Path) -> None:
    """gunicorn imports helpdesk.wsgi: a .env in its folder is not production configuration."""
    (tmp_path / ".env").write_text(LOCAL_ENV)
    result = run(["-c", "import helpdesk.wsgi"], clean_env(), cwd=tmp_path)
    assert result.returncode == 1
    assert "DJANGO_SECRET_KEY must be set" in result.stderr

    told = clean_env(HELPDESK_ENV_FILE=str(tmp_path / ".env"))
    result = run(["-c", "import helpdesk.wsgi; print(helpdesk.wsgi.application)"], told, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "WSGIHandler" in result.stdout


def test_an_env_file_named_in_the_environment_replaces_the_local_one(tmp_path: Path) -> None:
    manage = local_copy(tmp_path, LOCAL_ENV)
    (tmp_path / "production.env").write_text("DJANGO_SECRET_KEY=production-key\n")
    env = clean_env(HELPDESK_ENV_FILE=str(tmp_path / "production.env"))
    result = run([str(manage), "shell", "-v", "0", "-c", PRINT_SETTINGS], env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "UTC", "production-key"]


def test_an_env_file_named_but_missing_stops_start_up(tmp_path: Path) -> None:
    env = clean_env(HELPDESK_ENV_FILE=str(tmp_path / "missing.env"))
    result = run(["-c", "import helpdesk.wsgi"], env, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("error: HELPDESK_ENV_FILE names ")
    assert len(result.stderr.splitlines()) == 1


def test_make_writes_the_env_file_once_with_a_secret_key_of_its_own(tmp_path: Path) -> None:
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    command = [make, "-s", "-f", str(ROOT / "Makefile"), "-C", str(tmp_path)]
    command += [f"PYTHON={sys.executable}", ".env"]
    subprocess.run(command, check=True, capture_output=True, timeout=60)
    env_file = tmp_path / ".env"
    first = env_file.read_text()
    assert "DJANGO_DEBUG=true" in first.splitlines()
    (key,) = [line for line in first.splitlines() if line.startswith("DJANGO_SECRET_KEY=")]
    assert len(key.removeprefix("DJANGO_SECRET_KEY=")) >= 50
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600  # it holds a secret

    env_file.write_text(first + "DJANGO_TIME_ZONE=Europe/Paris\n")  # a person's own edit
    subprocess.run(command, check=True, capture_output=True, timeout=60)
    assert env_file.read_text() == first + "DJANGO_TIME_ZONE=Europe/Paris\n"

    other = tmp_path / "other"
    other.mkdir()
    command[command.index(str(tmp_path))] = str(other)
    subprocess.run(command, check=True, capture_output=True, timeout=60)
    assert (other / ".env").read_text() != first  # each clone its own key


def test_git_and_docker_leave_the_env_file_out() -> None:
    assert ".env" in (ROOT / ".gitignore").read_text().split()
    assert ".env" in (ROOT / ".dockerignore").read_text().split()
