"""User text shown through Markdown elements (st.markdown, st.caption, st.error, labels) must be taken literally:
a name like `[点我](http://…)` would otherwise become a link, `![](http://…)` an image every viewer fetches, and a bare
`http://…`, `www.…` or `a@b.cn` a link of its own (GitHub-flavoured Markdown links those without any brackets)."""

import re

# emphasis, code, links and images, HTML, strikethrough, maths, tables, Streamlit's :directives:
_SPECIAL = frozenset("\\`*_[]<>!~$|:")
WORD_JOINER = "\u2060"  # invisible; breaks the run of text an autolink is recognised by
_AUTOLINK = re.compile(r"(?<=:)(?=//)|(?<=www)(?=\.)|(?<=@)", re.IGNORECASE)


def escape_markdown(text: object) -> str:
    """The user's text, shown exactly as typed wherever Markdown renders it.

    Every character that could start Markdown syntax is backslash-escaped (CommonMark shows it as the bare
    character): no link, image, HTML tag, emphasis, `$` maths or Streamlit `:colour[…]` / `:material/…:` directive
    can form. Bare addresses are linked after escapes are resolved, so an invisible word joiner goes inside each
    `://`, `www.` and `@`: the text reads the same and is no longer an address."""
    joined = _AUTOLINK.sub(WORD_JOINER, str(text))
    return "".join("\\" + c if c in _SPECIAL else c for c in joined)


# the app's own file numbers (QHD-<district code>-000123): the only thing in a message that may become a link, and only
# to the app's own 一户一档 page
_FILE_NO = re.compile(r"\bQHD-[0-9A-Z]{6}-\d{6}\b")


def escape_linking_file_numbers(text: object) -> str:
    """A message shown literally (as `escape_markdown`), except that each file number in it links to its 一户一档."""
    text, parts, end = str(text), [], 0
    for found in _FILE_NO.finditer(text):
        number = found.group(0)
        parts += [escape_markdown(text[end:found.start()]), f"[{number}](household?file={number})"]
        end = found.end()
    parts.append(escape_markdown(text[end:]))
    return "".join(parts)
