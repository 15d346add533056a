"""Where a server's time went under the class test, by page and by line of the page.

    python bench/stacks.py FILE [--page NAME] [--depth N]

FILE is py-spy's raw output (``bench/classroom.py --profile FOLDER`` writes one per server):
one line per distinct stack, frames joined by ``;``, then the number of samples. Prints the
share of the samples spent in each page's script (the frame under Streamlit's ``Page.run``)
and, with ``--page``, in each call the page's script makes, ``--depth`` frames deep (1: the
lines of the page itself). Samples outside any page (serving files, websockets, Streamlit's
own bookkeeping between runs) are one row.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

PAGE_FRAME = re.compile(r"<module> \((\w+)\.py:\d+\)")
OUTSIDE = "(outside the pages)"


def read(path: Path) -> list[tuple[list[str], int]]:
    """``(frames, samples)`` for each line of py-spy's raw format."""
    stacks = []
    for line in path.read_text().splitlines():
        frames, _, count = line.rpartition(" ")
        if frames and count.isdigit():
            stacks.append((frames.split(";"), int(count)))
    return stacks


def page_of(frames: list[str]) -> tuple[str, int] | None:
    """The page a stack ran (the script under ``Page.run``) and where its frame is."""
    for i, frame in enumerate(frames[:-1]):
        if frame.startswith("Page.run ("):
            found = PAGE_FRAME.match(frames[i + 1])
            if found:
                return found.group(1), i + 1
    return None


def summary(stacks: list[tuple[list[str], int]], page: str | None, depth: int) -> str:
    total = sum(count for _, count in stacks)
    pages, calls = Counter(), Counter()
    for frames, count in stacks:
        found = page_of(frames)
        name = found[0] if found else OUTSIDE
        pages[name] += count
        if found and name == page:
            below = frames[found[1] + 1 : found[1] + 1 + depth]
            calls[" > ".join(below) or "(the page's own line)"] += count
    lines = [f"{total} samples"]
    lines += [f"{count:7d} {count / total:6.1%}  {name}" for name, count in pages.most_common()]
    if page:
        lines.append(f"--- inside {page} ({pages[page]} samples)")
        lines += [
            f"{count:7d} {count / max(pages[page], 1):6.1%}  {call}"
            for call, count in calls.most_common(30)
        ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--page", help="break this page down, e.g. pooling")
    parser.add_argument("--depth", type=int, default=1, help="frames below the page's line")
    args = parser.parse_args()
    print(summary(read(args.file), args.page, args.depth))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
