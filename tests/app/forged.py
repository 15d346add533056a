"""Widget states as a websocket message carries them, including ones no browser would send.

AppTest's own widgets cannot edit a table (``st.data_editor``) or send values outside a
widget's rules; these helpers put a state straight into the next run's message.
"""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest


def element_ids(at: AppTest, part: str) -> list[str]:
    """Ids of the elements on the page whose id contains ``part`` (e.g. "conv.matrix")."""
    found: list[str] = []

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None and part in getattr(proto, "id", ""):
            found.append(proto.id)
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            for child in children.values():
                walk(child)

    walk(at._tree)
    return found


def send(at: AppTest, widget_id: str, field: str, value) -> AppTest:
    """Rerun with the page's widget states plus ``widget_id`` set to ``value`` in ``field``."""
    states = at._tree.get_widget_states()
    for state in states.widgets:
        if state.id == widget_id:
            break
    else:
        state = states.widgets.add()
        state.id = widget_id
    setattr(state, field, value)
    return at._run(states)


def edit_kernel(at: AppTest, editing_state: dict, channel: int = 0) -> AppTest:
    """Send the kernel table ``channel`` this editing state (``edited_rows``, ``added_rows``,
    ``deleted_rows``), as the browser's table would, or as a forged message might."""
    (widget_id, *_) = element_ids(at, "conv.matrix")[channel:]
    return send(at, widget_id, "string_value", json.dumps(editing_state))
