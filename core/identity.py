"""Checks on identifiers typed by people: 身份证号 (GB 11643), 统一社会信用代码 (GB 32100), mobiles.

Each check returns the normalised value or raises `InvalidIdentifier` with a message in Chinese
that says exactly what is wrong, so a form can show it next to the field.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))

MOBILE_RE = re.compile(r"^1\d{10}$")


class InvalidIdentifier(ValueError):
    """A typed identifier that fails its standard's rules; the message is for the user."""


@dataclass(frozen=True)
class IdNumber:
    number: str  # always the 18-character form
    birth_date: dt.date
    sex: str  # codes.SEX: "1" male, "2" female
    division: str  # first six digits


def id_check_char(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits."""
    total = sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


def parse_id_number(raw: str, today: dt.date | None = None) -> IdNumber:
    """Validate a 身份证号; a 15-digit legacy number is converted to its 18-digit form."""
    today = today or dt.date.today()
    text = (raw or "").strip().upper().replace(" ", "")
    if not text:
        raise InvalidIdentifier("请填写身份证号")
    if len(text) == 15:
        if not text.isdigit():
            raise InvalidIdentifier("15位身份证号只能由数字组成")
        body = text[:6] + "19" + text[6:]
        text = body + id_check_char(body)
    elif len(text) != 18:
        raise InvalidIdentifier(f"身份证号应为18位（或旧式15位），现为{len(text)}位")
    if not text[:17].isdigit():
        raise InvalidIdentifier("身份证号前17位只能是数字")
    if text[17] not in "0123456789X":
        raise InvalidIdentifier("身份证号最后一位只能是数字或X")
    try:
        birth = dt.datetime.strptime(text[6:14], "%Y%m%d").date()
    except ValueError:
        raise InvalidIdentifier(f"身份证号中的出生日期 {text[6:14]} 不是有效日期") from None
    if birth > today:
        raise InvalidIdentifier(f"身份证号中的出生日期 {birth:%Y-%m-%d} 晚于今天")
    expected = id_check_char(text[:17])
    if text[17] != expected:
        raise InvalidIdentifier(f"身份证号校验位错误：最后一位应为 {expected}，请核对是否录错")
    sex = "1" if int(text[16]) % 2 == 1 else "2"
    return IdNumber(number=text, birth_date=birth, sex=sex, division=text[:6])


def mask_id_number(number: str | None) -> str:
    """Show the first 6 and last 4 characters only (lists and exports for most roles)."""
    if not number:
        return ""
    if len(number) <= 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARS[(31 - total % 31) % 31]


def parse_uscc(raw: str) -> str:
    """Validate a 统一社会信用代码 and return it in upper case."""
    text = (raw or "").strip().upper().replace(" ", "")
    if len(text) != 18:
        raise InvalidIdentifier(f"统一社会信用代码应为18位，现为{len(text)}位")
    bad = sorted({c for c in text if c not in USCC_CHARS})
    if bad:
        raise InvalidIdentifier(f"统一社会信用代码不能包含字符：{'、'.join(bad)}（不使用 I、O、Z、S、V）")
    expected = uscc_check_char(text[:17])
    if text[17] != expected:
        raise InvalidIdentifier(f"统一社会信用代码校验位错误：最后一位应为 {expected}，请核对是否录错")
    return text


def parse_mobile(raw: str) -> str:
    text = (raw or "").strip().replace(" ", "").replace("-", "")
    if not MOBILE_RE.match(text):
        raise InvalidIdentifier("手机号码应为以1开头的11位数字")
    return text


SCIENTIFIC_RE = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")


def id_number_text(value: Any) -> tuple[str, str | None]:
    """The number as text; Excel keeps long numbers typed into a number cell only to 15 significant digits."""
    if value is None or value == "":
        return "", "身份证号为空"
    if isinstance(value, bool):
        return str(value), "身份证号应为18位（或旧式15位）"
    if isinstance(value, int):
        return str(value), None
    if isinstance(value, float):
        if value.is_integer() and value < 1e15:
            return str(int(value)), None
        return f"{value:.0f}", "身份证号被 Excel 存成了数字，后几位已经丢失：请把该列设为“文本”后重新录入或从原始名单复制"
    text = str(value).replace("\u3000", "").strip()
    if SCIENTIFIC_RE.match(text):
        return text, "身份证号被 Excel 存成了数字（科学计数法），后几位已经丢失：请把该列设为“文本”后重新录入或从原始名单复制"
    return text, None
