"""bench/ranking.py keeps working: its quick mode runs end to end, tiny (not timed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_ranking_benchmark_runs_in_quick_mode() -> None:
    # Its own process: the benchmark makes (and drops) its own test database.
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "ranking.py"),
            "--quick",
            "--truth",
            "overlap",
            "--scored",
            "20",
            "--checkpoints",
            "0,10",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "HOME": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    for policy in ("author", "oracle", "learned 0", "learned 10"):
        assert f"   {policy} " in out
    assert "× oracle" in out
    assert "toggle screen" in out
    assert "drift" in out
