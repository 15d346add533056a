"""The warm-up's switch, address and command (its visit runs against a real server in e2e)."""

import socket

import streamlit as st

from ui import warm


def test_switched_off_it_starts_nothing(monkeypatch):
    """CNNVIZ_WARM_UP=off (as in these page tests): no thread is started."""
    monkeypatch.setenv(warm.SWITCH, "off")
    assert warm.start() is None


def test_a_server_listening_everywhere_is_visited_on_loopback():
    """server.address 0.0.0.0 (a class on the LAN): the warm-up talks to 127.0.0.1."""
    st.config.set_option("server.address", "0.0.0.0")
    st.config.set_option("server.port", 8765)
    st.config.set_option("server.baseUrlPath", "/cnnviz/")
    try:
        assert warm.own_url() == "http://127.0.0.1:8765/cnnviz"
        st.config.set_option("server.address", "::1")
        assert warm.own_url() == "http://[::1]:8765/cnnviz"
    finally:
        for name in ("server.address", "server.port", "server.baseUrlPath"):
            st.config.set_option(name, st.config.get_config_options()[name].default_val)


def test_a_server_that_never_answers_is_reported_not_warmed(monkeypatch, capsys):
    """python -m ui.warm on a port nobody listens on: exit status 1 and the reason."""
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{free.getsockname()[1]}"
    monkeypatch.setattr(warm, "START_TIMEOUT", 1)
    assert warm.main([url]) == 1
    assert f"{url}: not warmed" in capsys.readouterr().err


def test_nothing_to_warm_is_a_mistake():
    """No address given: exit status 1, not a silent success."""
    assert warm.main([]) == 1
