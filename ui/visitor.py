"""A minimal Streamlit client speaking the app's websocket protocol (no browser).

Two users: the server's warm-up visits every lesson page once with it (ui/warm.py), and the
class load test (bench/classroom.py) puts fifty students on one server without also running
fifty browsers on the same cores. Each visitor is one websocket, sending the widget states a
browser would send and timing each script run until Streamlit reports it finished.
"""

from __future__ import annotations

import time

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

FINISHED_EARLY_FOR_RERUN = 2  # ScriptFinishedStatus: another run follows at once


class Visitor:
    """One browser tab's worth of protocol: open pages, change widgets by their key."""

    def __init__(self, url: str):
        self.url = url.replace("http://", "ws://") + "/_stcore/stream"
        self.ids: dict[str, str] = {}  # widget key -> the widget id the server gave it
        self.states: dict[str, tuple[str, object]] = {}  # widget id -> (proto field, value)
        self.texts: list[str] = []  # markdown of the last run
        self.exceptions = 0

    async def __aenter__(self):
        self.socket = await websockets.connect(self.url, subprotocols=["streamlit"], max_size=None)
        return self

    async def __aexit__(self, *exc):
        await self.socket.close()

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
        start = time.perf_counter()
        await self.socket.send(message.SerializeToString())
        texts: list[str] = []
        while True:
            reply = ForwardMsg()
            reply.ParseFromString(await self.socket.recv())
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
            if kind == "script_finished" and reply.script_finished != FINISHED_EARLY_FOR_RERUN:
                self.texts = texts
                return time.perf_counter() - start
