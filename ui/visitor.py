"""A minimal Streamlit client speaking the app's websocket protocol (no browser).

Two users: the server's warm-up visits every lesson page once with it (ui/warm.py), and the
class load test (bench/classroom.py) puts fifty students on one server without also running
fifty browsers on the same cores. Each visitor is one websocket, sending the widget states a
browser would send and timing each script run until Streamlit reports it finished. Like a
browser it keeps the large messages it got, so the server sends only the hash of one it
would send again. With ``pictures=True`` it also fetches, over HTTP like a browser, every
media file (pictures, the linked views' numbers) a run names and it has not fetched before.
"""

from __future__ import annotations

import asyncio
import re
import socket
import time
from urllib.parse import urlsplit

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

FINISHED_EARLY_FOR_RERUN = 2  # ScriptFinishedStatus: another run follows at once
MEDIA = re.compile(rb"media/[0-9a-f]{16,}\.[a-z]+")  # Streamlit's content-addressed files
CONNECTIONS = 6  # a browser opens up to six connections to one server


class Visitor:
    """One browser tab's worth of protocol: open pages, change widgets by their key.

    ``source`` is the local address its connections start from (a loopback address such as
    ``127.0.0.7``: to a proxy that keys on the client's address, another student).
    """

    def __init__(self, url: str, *, source: str | None = None, pictures: bool = False):
        self.base = urlsplit(url)
        self.url = url.replace("http://", "ws://") + "/_stcore/stream"
        self.source = source
        self.pictures = pictures
        self.ids: dict[str, str] = {}  # widget key -> the widget id the server gave it
        self.states: dict[str, tuple[str, object]] = {}  # widget id -> (proto field, value)
        self.texts: list[str] = []  # markdown of the last run
        self.exceptions = 0
        self.fetched: set[bytes] = set()  # media files this "browser" has (its cache)
        self.messages: dict[str, bytes] = {}  # big messages it keeps, by hash: the server
        # then sends only the hash when it would send the same again (as to a browser)
        self.received = 0  # bytes: websocket messages and media files, over the visit
        self.with_pictures = 0.0  # seconds: the last run until its new media files arrived

    async def __aenter__(self):
        self.socket = await websockets.connect(
            self.url, subprotocols=["streamlit"], max_size=None, **self._local()
        )
        return self

    async def __aexit__(self, *exc):
        await self.socket.close()

    def _local(self) -> dict:
        return {"local_addr": (self.source, 0)} if self.source else {}

    async def open(self, page: str) -> float:
        """Go to ``page`` (its URL path); returns the seconds until the page is drawn."""
        self.states.clear()
        self.page = page
        return await self._run()

    async def set(self, key: str, field: str, value) -> float:
        """Change widget ``key`` (e.g. "conv.stride_h") like a user; returns the rerun time."""
        self.states[self.ids[key]] = (field, value)
        return await self._run()

    async def _run(self) -> float:
        message = BackMsg()
        message.rerun_script.query_string = ""
        message.rerun_script.page_name = self.page
        for widget_id, (field, value) in self.states.items():
            state = message.rerun_script.widget_states.widgets.add()
            state.id = widget_id
            setattr(state, field, value)
        message.rerun_script.cached_message_hashes.extend(self.messages)
        start = time.perf_counter()
        await self.socket.send(message.SerializeToString())
        texts: list[str] = []
        media: dict[bytes, None] = {}
        while True:
            data = await self.socket.recv()
            self.received += len(data)
            reply = ForwardMsg()
            reply.ParseFromString(data)
            if reply.WhichOneof("type") == "ref_hash":
                data = self.messages[reply.ref_hash]
                reply.ParseFromString(data)
            elif reply.metadata.cacheable:
                self.messages[reply.hash] = data
            kind = reply.WhichOneof("type")
            if kind == "delta" and reply.delta.WhichOneof("type") == "new_element":
                element = reply.delta.new_element
                inner = getattr(element, element.WhichOneof("type"))
                if element.WhichOneof("type") == "markdown":
                    texts.append(inner.body)
                if element.WhichOneof("type") == "exception":
                    self.exceptions += 1
                widget_id = getattr(inner, "id", "")
                if widget_id and "-" in widget_id:
                    self.ids[widget_id.rsplit("-", 1)[1]] = widget_id
                if self.pictures:
                    media.update(dict.fromkeys(MEDIA.findall(data)))
            if kind == "script_finished" and reply.script_finished != FINISHED_EARLY_FOR_RERUN:
                self.texts = texts
                seconds = time.perf_counter() - start
                new = [path for path in media if path not in self.fetched]
                if new:
                    await self._fetch(new)
                self.with_pictures = time.perf_counter() - start
                return seconds

    async def _fetch(self, paths: list[bytes]) -> None:
        """GET each media file as a browser does: over up to ``CONNECTIONS`` keep-alive
        connections at once, each file once (the browser's cache)."""
        share = [paths[i::CONNECTIONS] for i in range(min(CONNECTIONS, len(paths)))]
        await asyncio.gather(*(self._fetch_over_one(part) for part in share))

    async def _fetch_over_one(self, paths: list[bytes]) -> None:
        prefix = self.base.path.rstrip("/").encode()
        reader, writer = await asyncio.open_connection(
            self.base.hostname, self.base.port, **self._local()
        )
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            for path in paths:
                writer.write(
                    b"GET %s/%s HTTP/1.1\r\nHost: %s\r\n\r\n"
                    % (prefix, path, self.base.netloc.encode())
                )
                head = await reader.readuntil(b"\r\n\r\n")
                length = re.search(rb"(?i)content-length:\s*(\d+)", head)
                body = await reader.readexactly(int(length[1])) if length else b""
                status = head.split(b"\r\n", 1)[0].decode()
                if not status.startswith("HTTP/1.1 200"):
                    raise RuntimeError(f"GET {path.decode()}: {status}")
                self.received += len(head) + len(body)
                self.fetched.add(path)
        finally:
            writer.close()
