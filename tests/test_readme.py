"""README.md's library example runs as printed and prints what its comments say."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def library_example() -> str:
    """The python block under "Use it as a library"."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## Use it as a library", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_library_example_runs_and_prints_its_comments():
    """Each print's output is the comment on its line (the reader's promise)."""
    code = library_example()
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    promised = [line.split("# ", 1)[1] for line in code.splitlines() if line.startswith("print(")]
    printed = run.stdout.strip().splitlines()
    assert printed == promised
