"""User text shown through Markdown elements (st.markdown, st.caption, st.error, labels) must be taken literally:
a name like `[点我](http://…)` would otherwise become a link, and `![](http://…)` an image every viewer fetches."""


def escape_markdown(text: object) -> str:
    """Every Markdown character of a user's text (a name, a file name) escaped, so it shows as typed."""
    return "".join("\\" + c if c in "\\`*_[]<>!~$|" else c for c in str(text))
