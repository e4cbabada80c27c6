"""The few words Streamlit itself draws in English, in Chinese: one stylesheet on every run (app.py), login included.

Streamlit has no setting for its interface's language. Where it draws a word of its own, the word is hidden and the
Chinese drawn in its place (CSS `::after`), or the hint is hidden where the page already says it:
- the file uploader's button ("Upload") and its size line ("50MB per file • XLSX, CSV": the types are in each
  uploader's own label);
- "Press Enter to submit form" / "Press Enter to apply" under a text field being typed in (each form has its
  button, and a search field searches as one types or presses Enter);
- the keyboard's "Skip to main content" link.
Checked by tests/e2e/test_chinese_everywhere.py on every page of every role.
"""

from __future__ import annotations

import streamlit as st


def _replaced(selector: str, text: str, size: str = "inherit") -> str:
    return (f"{selector}{{font-size:0 !important}}"
            f"{selector}::after{{content:\"{text}\";font-size:{size}}}")


def stylesheet() -> str:
    limit = st.get_option("server.maxUploadSize")
    return "".join((
        _replaced('[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p', "选择文件", "0.875rem"),
        _replaced('[data-testid="stFileUploaderDropzoneInstructions"] span', f"每个文件不超过 {limit} MB", "0.875rem"),
        _replaced('[data-testid="stSkipToContent"]', "跳到正文", "1rem"),
        '[data-testid="InputInstructions"]{display:none !important}',
    ))


def apply() -> None:
    st.html(f"<style>{stylesheet()}</style>")
