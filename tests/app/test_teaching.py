"""The teaching layer: glossary, lesson path, projector mode."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

from cnnviz.glossary import GLOSSARY
from tests.app.conftest import APP, open_page
from ui.lessons import LESSONS, PAGES, registered

ROOT = Path(__file__).resolve().parents[2]


def test_every_glossary_term_links_to_a_registered_page():
    """Each term names a page that exists and that app.py registers."""
    for term in GLOSSARY.values():
        assert (ROOT / term.page).exists(), term.page
        assert term.page in registered(), term.page


def test_every_page_file_is_registered_once_and_every_lesson_names_one():
    """PAGES lists each file under pages/ exactly once; each lesson of the path is one."""
    files = [page.file for page in PAGES]
    assert sorted(files) == sorted(f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py"))
    assert len(set(files)) == len(files)
    assert {lesson[0] for lesson in LESSONS} <= registered()


def test_glossary_page_lists_and_filters_terms():
    """The page shows every term with its example, and the search box narrows the list."""
    at = open_page("pages/glossary.py")
    headings = [h.value for h in at.subheader]
    assert headings == [t.word for t in GLOSSARY.values()]
    at.text_input(key="glossary.find").set_value("pool").run()
    assert {h.value for h in at.subheader} == {"Pooling", "Max pooling", "Average pooling"}


def test_home_walks_the_lesson_path():
    """Home links the lessons in order, starting with convolution."""
    at = open_page("pages/home.py")
    labels = [link.label for link in at.get("page_link")]
    assert labels[0] == "**1. Convolution**"
    assert labels == sorted(labels)


def test_projector_switch_is_on_every_page():
    """The sidebar holds the projector switch; its choice is kept for the session."""
    at = AppTest.from_file(APP, default_timeout=90).run()
    at.sidebar.toggle(key="app.projector").set_value(True).run()
    assert at.session_state["app.projector"] is True
    assert not at.exception
