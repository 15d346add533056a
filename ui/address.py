"""The one gate between the page address and the widgets: every share-link value is checked here.

A widget whose value lives in the address is made only by a function of this module, from a
``Param`` that states the parameter's type, its range or choices and its default; the widget
takes its limits and options from the same ``Param``, so the gate and the widget cannot
disagree. Before a page makes any widget it calls ``gate`` with its parameters; each widget
function also checks its own parameter just before the widget exists (a range known only
then, such as a network's number of maps, narrows the ``Param`` there). A value that is not
valid (not a number, infinite, out of range, not one of the choices, given twice with two
different values, empty) is removed from the address, the widget starts at its default, and
the page says in one line which parameter was ignored. A valid value written another way
(``02``, a choice's short name, any upper or lower case) is rewritten to the way the widget
writes it. ``bind="query-params"`` appears in no other module.

Streamlit seeds a bound widget from the address it was given when the page opened; the gate
edits that copy and the address itself through the session's ``QueryParams`` (Streamlit
1.67 has no public call for a bound parameter): ``_given``, ``_drop`` and ``_rewrite`` are
the only three places that touch it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field

import streamlit as st
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

SHOWN_CHARACTERS = 40  # of a hostile value, in a notice
LISTED_CHOICES = 8  # a notice lists the choices when there are at most this many


class Refused(ValueError):
    """A value of the address that its parameter does not accept."""


@dataclass(frozen=True, eq=False)
class Param:
    """One parameter of the address: the key of its widget, and the widget's label."""

    key: str  # the widget's key and the URL parameter, namespaced: "conv.stride_h"
    label: str  # the widget's label; names the parameter in a notice
    help: str | None = field(default=None, kw_only=True)  # the widget's tooltip

    def read(self, text: str):
        """The value ``text`` stands for; ``Refused`` when it stands for none."""
        raise NotImplementedError

    def text(self, value) -> str:
        """How the widget writes ``value`` in the address."""
        return str(value)

    def rule(self) -> str:
        """What the parameter takes, for a notice: "a whole number from 1 to 16"."""
        raise NotImplementedError

    def default_text(self) -> str:
        """The default as the student sees it, for a notice."""
        return str(self.default)  # every kind below has a default


@dataclass(frozen=True, eq=False)
class Whole(Param):
    """A whole number from ``low`` to ``high`` in steps of ``step``."""

    low: int
    high: int
    default: int
    step: int = 1

    def read(self, text: str) -> int:
        number = _number(text)
        if not number.is_integer():
            raise Refused
        value = int(number)
        if not self.low <= value <= self.high or (value - self.low) % self.step:
            raise Refused
        return value

    def rule(self) -> str:
        steps = f" in steps of {self.step}" if self.step > 1 else ""
        return f"a whole number from {self.low:,} to {self.high:,}{steps}"


@dataclass(frozen=True, eq=False)
class Decimal(Param):
    """A number from ``low`` to ``high``; ``step`` is how far the widget's buttons move it."""

    low: float
    high: float
    default: float
    step: float

    def read(self, text: str) -> float:
        value = _number(text)
        if not self.low <= value <= self.high:
            raise Refused
        return value

    def text(self, value) -> str:
        value = float(value)
        return str(int(value)) if value.is_integer() else repr(value)

    def rule(self) -> str:
        return f"a number from {self.low:g} to {self.high:g}"

    def default_text(self) -> str:
        return f"{self.default:g}"


@dataclass(frozen=True, eq=False)
class Choice(Param):
    """One of ``options``; the address holds an option's title (what ``show`` makes of it)."""

    options: tuple
    default: object
    show: Callable[[object], str] | None = None  # option -> its title; None: str(option)

    def title(self, option) -> str:
        return str(self.show(option)) if self.show is not None else str(option)

    def read(self, text: str):
        titles = {self.title(o): o for o in self.options}
        if text in titles:
            return titles[text]
        loose = _loose(text)
        for option in self.options:  # the short name, or the title in any case
            if loose in (_loose(str(option)), _loose(self.title(option))):
                return option
        raise Refused

    def text(self, value) -> str:
        return self.title(value)

    def rule(self) -> str:
        if len(self.options) > LISTED_CHOICES:
            return f"one of the {len(self.options)} choices of its menu"
        return "one of " + ", ".join(f"“{self.title(o)}”" for o in self.options)

    def default_text(self) -> str:
        return f"“{self.title(self.default)}”"


@dataclass(frozen=True, eq=False)
class Switch(Param):
    """On or off (a toggle, or a box that is open or closed)."""

    default: bool = False

    def read(self, text: str) -> bool:
        words = {"true": True, "false": False}
        if _loose(text) not in words:
            raise Refused
        return words[_loose(text)]

    def text(self, value) -> str:
        return "true" if value else "false"

    def rule(self) -> str:
        return "true or false"

    def default_text(self) -> str:
        return "on" if self.default else "off"


@dataclass(frozen=True, eq=False)
class Custom(Param):
    """A value a page reads from the address itself (no widget), with its own reader."""

    reader: Callable[[str], object]  # text -> value; raises ValueError when it is none
    writer: Callable[[object], str]  # value -> text, the inverse of ``reader``
    description: str  # what it takes, for a notice
    default: object = None
    default_words: str = "its default"

    def read(self, text: str):
        try:
            return self.reader(text)
        except ValueError:
            raise Refused from None

    def text(self, value) -> str:
        return self.writer(value)

    def rule(self) -> str:
        return self.description

    def default_text(self) -> str:
        return self.default_words


def _number(text: str) -> float:
    """A finite number written in ``text``; ``Refused`` otherwise (``inf``, ``nan``, words)."""
    try:
        value = float(text.strip())
    except ValueError:
        raise Refused from None
    if not math.isfinite(value):
        raise Refused
    return value


def _loose(text: str) -> str:
    return " ".join(text.split()).casefold()


# --- the verdict and the notice ---------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """What the gate makes of the values the address gives one parameter."""

    text: str | None  # the value as the widget writes it; None: the value is ignored
    notice: str | None  # the one line saying which parameter was ignored, or None


def judge(param: Param, given: list[str]) -> Verdict:
    """Accept, rewrite or ignore the values ``given`` for ``param`` (several if repeated)."""
    if len(set(given)) > 1:
        return Verdict(None, _repeated(param, len(given)))
    try:
        value = param.read(given[-1])
    except Refused:
        return Verdict(None, _ignored(param, given[-1]))
    return Verdict(param.text(value), None)


def _ignored(param: Param, value: str) -> str:
    return (
        f"The link's `{param.key}` = {plain(value) if value.strip() else '(nothing)'} was "
        f"ignored: {param.label.rstrip('?:')} takes {param.rule()}, so it starts at "
        f"{param.default_text()}."
    )


def _repeated(param: Param, count: int) -> str:
    return (
        f"The link gives `{param.key}` {count} different values, so it was ignored: "
        f"{param.label.rstrip('?:')} starts at {param.default_text()}."
    )


def plain(text: str) -> str:
    """A value from outside shown as text: shortened, one line, markdown characters escaped."""
    short = text if len(text) <= SHOWN_CHARACTERS else text[:SHOWN_CHARACTERS] + "…"
    short = "".join(ch if ch.isprintable() else " " for ch in short)
    return re.sub(r"([\\`*_{}\[\]()#+\-.!<>|~:$&])", r"\\\1", short)


# --- the address itself ---------------------------------------------------------------------


@contextmanager
def _address():
    """The session's ``QueryParams``, locked; None outside a script run."""
    ctx = get_script_run_ctx()
    if ctx is None:
        yield None
        return
    with ctx.session_state.query_params() as params:
        yield params


def _given(params, key: str) -> list[str] | None:
    """The values the address gave ``key`` when the page opened (what seeds the widget)."""
    values = params._initial_query_params.get(key)
    return list(values) if values is not None else None


def _drop(params, key: str) -> None:
    """Remove ``key`` from the address and from what seeds its widget."""
    params._initial_query_params.pop(key, None)
    params.remove_param(key)


def _rewrite(params, key: str, text: str) -> None:
    """Give ``key`` the one value ``text``, in the address and in what seeds its widget."""
    params._initial_query_params[key] = [text]
    params.set_corrected_value(key, text, "string_value")


def admit(param: Param, where=st) -> None:
    """Check the address's value for ``param`` now; drop or rewrite it, and say so at ``where``."""
    with _address() as params:
        if params is None:
            return
        given = _given(params, param.key)
        if not given:
            return
        verdict = judge(param, given)
        if verdict.text is None:
            _drop(params, param.key)
        elif [verdict.text] != given:
            _rewrite(params, param.key, verdict.text)
    if verdict.notice:
        where.caption(f":material/link_off: {verdict.notice}")


def value(param: Param):
    """The value the address holds for ``param`` now (after ``admit``), or None."""
    with _address() as params:
        given = None if params is None else _given(params, param.key)
    if not given:
        return None
    try:
        return param.read(given[-1])
    except Refused:
        return None


def gate(*groups: Iterable[Param], where=st) -> None:
    """Check every parameter of a page before it makes its widgets (notices at ``where``)."""
    for group in groups:
        for param in group:
            admit(param, where)


# --- the widgets ------------------------------------------------------------------------------

BOUND = {"persist_state": "session", "bind": "query-params"}


def number(param: Whole | Decimal, where=st, **options) -> int | float:
    """A number input bound to the address, with ``param``'s range, step and default."""
    admit(param, where)
    step = param.step if isinstance(param, Decimal) else 1
    return where.number_input(
        param.label,
        param.low,
        param.high,
        value=param.default,
        step=step,
        key=param.key,
        help=param.help,
        **BOUND,
        **options,
    )


def slider(param: Whole, where=st, **options) -> int:
    """A slider bound to the address, with ``param``'s range, step and default."""
    admit(param, where)
    return where.slider(
        param.label,
        param.low,
        param.high,
        value=param.default,
        step=param.step,
        key=param.key,
        help=param.help,
        **BOUND,
        **options,
    )


CHOICE_WIDGETS = ("radio", "selectbox", "segmented_control", "select_slider")


def choice(param: Choice, widget: str, where=st, **options):
    """``widget`` (one of ``CHOICE_WIDGETS``) bound to the address, offering ``param``'s
    options and titles and starting at its default."""
    admit(param, where)
    if widget in ("radio", "selectbox"):
        options["index"] = param.options.index(param.default)
    elif widget == "segmented_control":
        options.update(default=param.default, required=True)
    elif widget == "select_slider":
        options["value"] = param.default
    else:
        raise ValueError(f"widget must be one of {', '.join(CHOICE_WIDGETS)}, got {widget!r}")
    return getattr(where, widget)(
        param.label,
        list(param.options),
        format_func=param.title,
        key=param.key,
        help=param.help,
        **BOUND,
        **options,
    )


def switch(param: Switch, where=st, **options) -> bool:
    """A toggle bound to the address."""
    admit(param, where)
    return where.toggle(
        param.label, value=param.default, key=param.key, help=param.help, **BOUND, **options
    )


def expander(param: Switch, where=st, **options):
    """A box whose being open lives in the address; its content should run only when open."""
    admit(param, where)
    return where.expander(
        param.label, key=param.key, on_change="rerun", bind="query-params", **options
    )
