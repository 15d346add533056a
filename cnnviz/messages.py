"""Error messages a student may read: files are named, the server's folders are not."""

from __future__ import annotations

import re

# An absolute path (/srv/app/assets/x.json, C:\data\x.gz) that starts a word: not 1/2, not
# the //host/path of a URL.
_PATH = re.compile(r"(?<![\w.:/\\])(?:[A-Za-z]:)?[\\/](?:[^\s'\"\\/]+[\\/])*([^\s'\"\\/]+)")


def without_paths(text: str) -> str:
    """``text`` with every absolute file path in it cut down to the file's own name.

    ``"[Errno 2] No such file: '/srv/cnnviz/assets/mnist-cnn.json'"`` becomes
    ``"[Errno 2] No such file: 'mnist-cnn.json'"``.
    """
    return _PATH.sub(r"\1", text)
