"""Forms that keep what was typed and show each error under the field it belongs to.

A form's submit button runs a callback (before the rerun) that calls a service; on a
ValidationError the messages are kept by field in session state and shown by `field_error`
on the rerun, while the widgets keep their values because they are keyed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import streamlit as st

from db.errors import Conflict, ServiceError, ValidationError
from ui.markdown import escape_linking_file_numbers, escape_markdown

log = logging.getLogger("jiekun")


def _errors_key(form: str) -> str:
    return f"_errors::{form}"


def _notice_key(form: str) -> str:
    return f"_notice::{form}"


def set_errors(form: str, errors: dict[str, str]) -> None:
    """Keep a form's messages by field for the next run (for forms that handle their submit inline)."""
    st.session_state[_errors_key(form)] = errors


def has_errors(form: str) -> bool:
    """Whether the form's last submit was refused (e.g. to keep an expander with the form open)."""
    return bool(st.session_state.get(_errors_key(form)))


def _fields_key(form: str) -> str:
    return f"_fields::{form}"


def field_error(form: str, field: str) -> None:
    st.session_state.setdefault(_fields_key(form), set()).add(field)  # the fields this form shows its messages under
    message = st.session_state.get(_errors_key(form), {}).get(field)
    if message:
        st.error(escape_linking_file_numbers(message), icon=":material/error:")


def form_notice(form: str) -> None:
    """The form-level outcome: success, a conflict, or errors that belong to no single field."""
    notice = st.session_state.pop(_notice_key(form), None)
    if notice:
        kind, text = notice
        text = escape_markdown(text)
        if kind == "error":  # a message for a field the form shows no message under (a note too long …) is said here
            errors = st.session_state.get(_errors_key(form), {})
            shown = st.session_state.get(_fields_key(form), set())
            rest = [escape_markdown(message) for field, message in errors.items() if field not in shown]
            if rest:
                text = "未保存：" + "；".join(rest) + ("。另请按提示修改标红的项目。" if len(rest) < len(errors) else "")
        {"success": st.success, "error": st.error, "warning": st.warning}[kind](text)


def form_notices(prefix: str) -> None:
    """The outcomes of every form whose name starts with `prefix` (forms keyed by the record they edit)."""
    for key in [k for k in st.session_state if str(k).startswith(_notice_key(prefix))]:
        form_notice(str(key).removeprefix(_notice_key("")))


def submit(form: str, action: Callable[[], str | None], *, clear: tuple[str, ...] = ()) -> None:
    """Run `action`; keep its errors by field, or its success message. Clears `clear` keys on success."""
    st.session_state[_errors_key(form)] = {}
    try:
        message = action()
    except ValidationError as exc:
        st.session_state[_errors_key(form)] = exc.errors
        st.session_state[_notice_key(form)] = ("error", "未保存：请按提示修改标红的项目。")
        return
    except Conflict as exc:
        st.session_state[_notice_key(form)] = ("warning", str(exc))
        return
    except ServiceError as exc:
        st.session_state[_notice_key(form)] = ("error", str(exc))
        return
    except Exception:  # an unexpected failure: tell the user plainly, keep the details in the log
        log.exception("form %s failed", form)
        st.session_state[_notice_key(form)] = ("error", "保存失败：系统发生意外错误，已记录日志。请稍后重试或联系管理员。")
        return
    for key in clear:  # assigning (not deleting) is what resets a widget's shown value
        st.session_state[key] = ""
    if message:
        st.session_state[_notice_key(form)] = ("success", message)
