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


def block_under(heading: str) -> str:
    """The first fenced block under ``## heading``."""
    section = (ROOT / "README.md").read_text().split(f"## {heading}\n", 1)[1]
    return re.search(r"```\w*\n(.*?)```", section, re.S).group(1).strip()


def test_ci_runs_the_readme_test_command_as_printed():
    """`.ci/run` holds README.md's "Run the tests" line verbatim, on a line of its own."""
    command = block_under("Run the tests")
    assert "\n" not in command and "pytest" in command
    assert command in (ROOT / ".ci" / "run").read_text().splitlines()


def test_both_install_commands_take_the_cpu_build_of_torch():
    """Both README commands install requirements.txt, which names PyTorch's CPU index."""
    requirements = (ROOT / "requirements.txt").read_text().splitlines()
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in requirements
    assert "-r requirements.txt" in (ROOT / "requirements-dev.txt").read_text().splitlines()
    for heading in ("Start the app", "Run the tests"):
        assert "pip install --retries 1 -r requirements" in block_under(heading)
