"""What Streamlit's own markup lacks for screen readers and the keyboard, added in the browser.

One small script, sent with the sidebar on every run (``page_fixes``), keeps these in place as
Streamlit redraws the page (a ``MutationObserver``):

* the page's language on ``<html lang>`` (Streamlit always writes ``en``), so a screen reader
  reads a Korean page with a Korean voice;
* the sidebar's page list: with sections, Streamlit puts each section's ``<li>`` items in a
  ``<div>`` directly inside the ``<ul>`` (items outside a list, a list with other children).
  The list roles are taken off (``role="none"``) and each section becomes a named group, so
  the links read as a navigation with its sections;
* a "skip to the lesson" link, the first stop of the Tab key, that moves the focus to the
  page's title;
* on a phone (768 px wide or less), the sidebar closes once a page is chosen in it;
* the arrow keys on the step-through's cell buttons (``.st-key-…_cellnav``): ← ↑ ↓ → press
  the button of that direction (``…_move_left`` …), so the explained cell moves without the
  mouse.

Plus the CSS of a focus ring that shows wherever the keyboard is (``:focus-visible``), darker
colours for code, and captions in an opaque grey.
"""

from __future__ import annotations

import json

import streamlit as st

from ui import i18n

TEXT = i18n.texts("common")
LESSON_ID = "cnnviz-lesson"  # the skip link's target: the main area's content

CSS = """
<style>
/* The focus ring: 3 px, dark blue, on whatever the keyboard reached. */
:focus-visible, [data-testid="stSidebarNavLink"]:focus-visible {
  outline: 3px solid #0b4f9c !important;
  outline-offset: 2px !important;
}
a.cnnviz-skip {
  position: fixed; top: 0.5rem; left: 0.5rem; z-index: 1000100;
  padding: 0.6rem 1rem; background: #0b4f9c; color: #ffffff !important;
  font-weight: 600; border-radius: 0.3rem; text-decoration: none;
  transform: translateY(-300%);
}
a.cnnviz-skip:focus { transform: none; }
#cnnviz-lesson:focus { outline: none; }
/* Code: Streamlit's token colours are below 4.5:1 on the code block's grey (numbers,
   comments); these keep its hues, darker (5:1 and more). */
[data-testid="stCode"] .token.comment, [data-testid="stCode"] .token.prolog { color: #4b5563; }
[data-testid="stCode"] .token.punctuation { color: #374151; }
[data-testid="stCode"] .token.number, [data-testid="stCode"] .token.regex { color: #0b6e6e; }
[data-testid="stCode"] .token.string, [data-testid="stCode"] .token.char,
[data-testid="stCode"] .token.boolean, [data-testid="stCode"] .token.constant,
[data-testid="stCode"] .token.attr-value { color: #1d6b2f; }
[data-testid="stCode"] .token.operator, [data-testid="stCode"] .token.entity,
[data-testid="stCode"] .token.decorator, [data-testid="stCode"] .token.atrule { color: #8a3b00; }
[data-testid="stCode"] .token.keyword, [data-testid="stCode"] .token.function,
[data-testid="stCode"] .token.class-name, [data-testid="stCode"] .token.builtin { color: #1746a2; }
[data-testid="stCode"] .token.attr-name, [data-testid="stCode"] .token.property,
[data-testid="stCode"] .token.variable { color: #0b5394; }
[data-testid="stCode"] .token.url { color: #6a1b9a; }
[data-testid="stCode"] .token.important, [data-testid="stCode"] .token.deleted { color: #a4161a; }
/* Streamlit draws a caption in the text colour at 60% opacity, which takes the inline code
   in it (a path, a command) to 2.7:1: a caption is opaque, its text the theme's text colour
   at 72% (7:1 on white, 6:1 on the secondary grey; light on a dark theme), so its code keeps
   the theme's 5.8:1. A browser without relative colours takes the grey of the light theme. */
[data-testid="stCaptionContainer"] {
  opacity: 1 !important;
  color: #595959 !important;
  color: rgb(from currentColor r g b / 0.72) !important;
}
/* A touch screen cannot hover, so Streamlit shows a table's or chart's toolbar all the time,
   above the element and over whatever is drawn above it (a kernel's name in its selectbox):
   there, the element keeps the toolbar's height free above it. */
@media (hover: none) {
  [data-testid="stElementContainer"]:has([data-testid="stElementToolbar"]) {
    margin-top: 2.5rem;
  }
}
/* The sidebar's script elements draw nothing: no gap for them. */
[data-testid="stSidebar"] [data-testid="stElementContainer"]:has([data-testid="stHtml"] script) {
  display: none;
}
</style>
"""

SCRIPT = """
<script>
(() => {
  const cfg = __CONFIG__;
  const doc = window.parent && window.parent.document ? window.parent.document : document;
  const state = (window.cnnvizA11y = window.cnnvizA11y || {});
  state.cfg = cfg;

  function fixNav() {
    for (const ul of doc.querySelectorAll('[data-testid="stSidebarNavItems"]')) {
      if (!ul.querySelector(':scope > div')) continue;  // no sections: a valid list already
      if (ul.getAttribute('role') !== 'none') ul.setAttribute('role', 'none');
      for (const li of ul.querySelectorAll('li')) {
        if (li.getAttribute('role') !== 'none') li.setAttribute('role', 'none');
      }
      for (const div of ul.querySelectorAll(':scope > div')) {
        const header = div.querySelector('[data-testid="stNavSectionHeader"]');
        const name = header ? header.textContent.replace(/expand_(more|less)/, '').trim() : '';
        if (div.getAttribute('role') !== 'group') div.setAttribute('role', 'group');
        if (name && div.getAttribute('aria-label') !== name) div.setAttribute('aria-label', name);
      }
    }
  }

  function fixSkip() {
    const main = doc.querySelector('[data-testid="stMainBlockContainer"]');
    if (main && main.id !== state.cfg.target) {
      main.id = state.cfg.target;
      main.setAttribute('tabindex', '-1');
    }
    let link = doc.querySelector('a.cnnviz-skip');
    if (!link) {
      link = doc.createElement('a');
      link.className = 'cnnviz-skip';
      link.addEventListener('click', (e) => {
        const target = doc.getElementById(state.cfg.target);
        if (!target) return;
        e.preventDefault();
        const title = target.querySelector('h1');
        if (title) title.setAttribute('tabindex', '-1');
        (title || target).focus();
        (title || target).scrollIntoView({block: 'start'});
      });
      doc.body.insertBefore(link, doc.body.firstChild);
    }
    if (link.getAttribute('href') !== '#' + state.cfg.target) {
      link.setAttribute('href', '#' + state.cfg.target);
    }
    if (link.textContent !== state.cfg.skip) link.textContent = state.cfg.skip;
  }

  function fixLang() {
    const html = doc.documentElement;
    if (html.getAttribute('lang') !== state.cfg.lang) html.setAttribute('lang', state.cfg.lang);
  }

  // A data frame's scrolling area (Streamlit's glide grid) takes the focus, so its rows
  // scroll from the keyboard too.
  function fixScroll() {
    // in the page, and inside components that Streamlit isolates in a shadow root
    const roots = [doc, ...[...doc.querySelectorAll('[data-testid="stBidiComponentIsolated"]')]
      .map((e) => e.shadowRoot).filter(Boolean)];
    for (const root of roots) {
      if (root !== doc) watch(root);
      for (const el of root.querySelectorAll('.dc-scroll:not([tabindex="0"])')) {
        el.setAttribute('tabindex', '0');
      }
    }
  }

  // A component isolated in a shadow root changes where the page's observer cannot see: each
  // such root gets watched too, once (its grid may redraw without the timer's wait).
  const WATCHED = {
    childList: true, subtree: true, attributes: true, attributeFilter: ['tabindex', 'role'],
  };
  function watch(root) {
    if (!state.observer) return;
    state.watched = state.watched || new WeakSet();
    if (state.watched.has(root)) return;
    state.watched.add(root);
    state.observer.observe(root, WATCHED);
  }

  function keepFocus() {
    if (!state.lastNav || doc.activeElement !== doc.body) return;
    const nav = doc.querySelector('.' + state.lastNav);
    const button = nav && [...nav.querySelectorAll('button')].find((b) => !b.disabled);
    if (button) button.focus();
  }

  function fixAll() {
    fixLang(); fixNav(); fixSkip(); fixScroll(); keepFocus();
    state.fixed = state.cfg;
  }
  state.fixAll = fixAll;
  fixAll();
  if (state.observer) return;  // installed by an earlier run: it uses the new cfg

  let pending = false;
  state.observer = new MutationObserver(() => {
    if (pending) return;
    pending = true;
    queueMicrotask(() => { pending = false; fixAll(); });
  });
  // and every half second, for what changes without a mutation this observer sees (a data
  // grid draws its scrolling area from a canvas library's own render loop)
  state.timer = setInterval(fixAll, 500);
  // attributes too: a redraw can set a fixed attribute back (a grid's tabindex)
  state.observer.observe(doc.body, WATCHED);
  fixScroll();  // and inside the isolated components already there

  // On a phone the open sidebar covers the page: close it once a page is chosen in it.
  doc.addEventListener('click', (e) => {
    const link = e.target.closest && e.target.closest('[data-testid="stSidebarNavLink"]');
    if (!link || !window.matchMedia('(max-width: 768px)').matches) return;
    setTimeout(() => {
      const close = doc.querySelector('[data-testid="stSidebarCollapseButton"] button')
        || doc.querySelector('[data-testid="stSidebarCollapseButton"]');
      if (close) close.click();
    }, 50);
  }, true);

  const ARROWS = {ArrowLeft: 'left', ArrowUp: 'up', ArrowDown: 'down', ArrowRight: 'right'};
  doc.addEventListener('keydown', (e) => {
    if (!(e.key in ARROWS) || e.altKey || e.ctrlKey || e.metaKey) return;
    const nav = e.target.closest && e.target.closest('[class*="_cellnav"]');
    if (!nav) return;
    const button = nav.querySelector(`[class*="_move_${ARROWS[e.key]}"] button`);
    if (!button || button.disabled) return;
    e.preventDefault();
    button.click();
    button.focus();
    // the button is disabled at an edge after the rerun: keep the focus in the buttons
    state.lastNav = [...nav.classList].find((c) => c.startsWith('st-key-'));
  }, true);
  doc.addEventListener('focusin', (e) => {
    if (!(e.target.closest && e.target.closest('[class*="_cellnav"]'))) state.lastNav = null;
  });
})();
</script>
"""


def page_fixes() -> None:
    """Send the script and the focus ring's CSS (from the sidebar, on every run)."""
    config = {"lang": i18n.current(), "skip": TEXT["skip"], "target": LESSON_ID}
    st.html(CSS)
    st.html(SCRIPT.replace("__CONFIG__", json.dumps(config)), unsafe_allow_javascript=True)
