"""The class load test, small: five students at once all finish the classroom script."""

import subprocess
import sys

import pytest

from tests.e2e.conftest import CHROMIUM, ROOT

pytestmark = pytest.mark.e2e


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
def test_five_students_complete_the_classroom_script():
    """bench/classroom.py with 5 sessions: all complete, no errors (timings are only printed)."""
    run = subprocess.run(
        [
            sys.executable,
            "bench/classroom.py",
            "--browser",
            "--sessions",
            "5",
            "--think",
            "0.5",
            "1",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    print(run.stdout)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "sessions completed: 5 of 5" in run.stdout
    assert "errors: 0" in run.stdout
