"""The class load test, small: five students at once all finish the classroom script, on one
server in real browsers, and on two replicas behind nginx running deploy/nginx.conf."""

import re
import shutil
import subprocess
import sys

import pytest

from tests.e2e.conftest import CHROMIUM, ROOT

pytestmark = pytest.mark.e2e
NGINX = shutil.which("nginx") or shutil.which("/usr/sbin/nginx")
needs_nginx = pytest.mark.skipif(
    NGINX is None, reason="needs Debian's nginx: apt-get install -y nginx (.ci/run installs it)"
)


def classroom(*options: str) -> str:
    """Run bench/classroom.py with ``options``; its report, after checking it succeeded."""
    run = subprocess.run(
        [sys.executable, "bench/classroom.py", "--think", "0.5", "1", *options],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    print(run.stdout)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "errors: 0" in run.stdout
    return run.stdout


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
def test_five_students_complete_the_classroom_script():
    """bench/classroom.py with 5 browser sessions: all complete, no errors (timings are only
    printed)."""
    assert "sessions completed: 5 of 5" in classroom("--browser", "--sessions", "5")


@needs_nginx
def test_five_students_behind_nginx_stay_on_their_replica():
    """Two replicas behind nginx, 5 students each from its own address: all complete, each
    student's websocket and pictures reach one replica, and nginx spreads fifty addresses of
    one network over both replicas."""
    report = classroom("--proxy", "nginx", "--replicas", "2", "--sessions", "5")
    assert "sessions completed: 5 of 5" in report
    assert "kept on one replica (websocket and media): 5 of 5" in report
    spread = re.search(r"to replicas 1-2: (\d+), (\d+)", report)
    assert spread and min(map(int, spread.groups())) > 0, "one replica got the whole class"


@needs_nginx
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
def test_a_browser_behind_nginx_uploads_and_finishes():
    """A real browser through nginx: the websocket passes Streamlit's origin check and the
    photo upload passes the proxy (the classroom script uploads one)."""
    assert "sessions completed: 1 of 1" in classroom(
        "--browser", "--proxy", "nginx", "--replicas", "2", "--sessions", "1"
    )
