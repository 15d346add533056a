// Glossary links stay in this tab and this session.
//
// Markdown links open a new tab, and any full page load starts a fresh session, so the
// student's picture and settings would be gone. One listener on the page catches a plain
// click on a link to the Glossary page and hands the address to Streamlit's own in-app
// navigation (the history entry it reads on Back/Forward), which keeps st.session_state.
// Ctrl/Cmd/middle clicks still open a new tab on purpose.

function isGlossary(url) {
  return url.origin === window.location.origin && /\/glossary\/?$/.test(url.pathname);
}

function follow(event) {
  if (event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const link = event.target.closest && event.target.closest("a[href]");
  if (!link) return;
  const url = new URL(link.getAttribute("href"), window.location.href);
  if (!isGlossary(url)) return;
  event.preventDefault();
  window.history.pushState(null, "", url.pathname + url.search + url.hash);
  window.dispatchEvent(new PopStateEvent("popstate"));
}

export default function () {
  if (!window.__cnnvizGlossaryLinks) {
    window.__cnnvizGlossaryLinks = true;
    document.addEventListener("click", follow, true);
  }
}
