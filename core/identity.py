"""Checks on identifiers typed by people: 身份证号 (GB 11643), 统一社会信用代码 (GB 32100), mobiles.

Each check returns the normalised value or raises `InvalidIdentifier` with a message in Chinese
that says exactly what is wrong, so a form can show it next to the field.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))

MOBILE_RE = re.compile(r"1[0-9]{10}")
ID18_RE = re.compile(r"[0-9]{17}[0-9X]")  # ASCII only: str.isdigit() also accepts "²", which int() refuses
ID15_RE = re.compile(r"[0-9]{15}")
EARLIEST_BIRTH = dt.date(1900, 1, 1)
CHECKSUM_MESSAGE = "校验位不符，请逐位核对"  # never the character that would pass: that invites a valid-looking wrong number


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


def normalise_identifier(raw: Any) -> str:
    """The form every check and every match uses: NFKC (full-width digits and letters become ASCII, "\u3000" a
    space), every kind of space removed, upper case (a lower-case x is the same check character)."""
    text = unicodedata.normalize("NFKC", "" if raw is None else str(raw))
    return "".join(ch for ch in text if not ch.isspace() and unicodedata.category(ch) not in ("Cf", "Zs")).upper()


@cache
def division_codes() -> frozenset[str]:
    """Every GB/T 2260 county-level code that has existed at some time, from python-stdnum's list (stdnum/cn/loc.dat).

    The list's validity periods are ignored on purpose: a person keeps the code of the place and time they were
    registered (old 130323 抚宁县 stays valid), and stdnum's own period check wrongly refuses people born before their
    district's current code existed.
    """
    codes, province = set(), None
    text = resources.files("stdnum").joinpath("cn/loc.dat").read_text(encoding="utf-8")
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        key = line.split()[0]
        if not line.startswith(" ") and len(key) == 2:
            province = key
        elif line.startswith("  ") and len(key) == 4 and province:
            codes.add(province + key)
    return frozenset(codes)


def parse_id_number(raw: Any, today: dt.date | None = None) -> IdNumber:
    """Validate a 身份证号 after normalising it; a 15-digit legacy number is converted to its 18-digit form.

    Any text at all gives either an `IdNumber` or an `InvalidIdentifier` with a Chinese message, never another error.
    """
    today = today or dt.date.today()
    text = normalise_identifier(raw)
    if not text:
        raise InvalidIdentifier("请填写身份证号")
    if len(text) == 15:
        if not ID15_RE.fullmatch(text):
            raise InvalidIdentifier("15位身份证号只能由数字组成")
        body = text[:6] + "19" + text[6:]
        text = body + id_check_char(body)
    elif len(text) != 18:
        raise InvalidIdentifier(f"身份证号应为18位（或旧式15位），现为{len(text)}位")
    if not ID18_RE.fullmatch(text):
        if re.fullmatch(r"[0-9]{17}", text[:17]):
            raise InvalidIdentifier("身份证号最后一位只能是数字或X")
        raise InvalidIdentifier("身份证号前17位只能是数字")
    if text[:6] not in division_codes():
        raise InvalidIdentifier(f"身份证号前6位 {text[:6]} 不是有效的行政区划代码（GB/T 2260），请核对")
    try:
        birth = dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        raise InvalidIdentifier(f"身份证号中的出生日期 {text[6:14]} 不是有效日期") from None
    if birth < EARLIEST_BIRTH:
        raise InvalidIdentifier(f"身份证号中的出生日期 {birth:%Y-%m-%d} 早于 1900-01-01，请核对")
    if birth > today:
        raise InvalidIdentifier(f"身份证号中的出生日期 {birth:%Y-%m-%d} 晚于今天")
    if text[17] != id_check_char(text[:17]):
        raise InvalidIdentifier(CHECKSUM_MESSAGE)
    sex = "1" if int(text[16]) % 2 == 1 else "2"
    return IdNumber(number=text, birth_date=birth, sex=sex, division=text[:6])


def id_number_key(raw: Any) -> str:
    """What a typed or stored number is matched on: its 18-digit form when it is valid, else its normal form."""
    try:
        return parse_id_number(raw).number
    except InvalidIdentifier:
        return normalise_identifier(raw)


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
    """Validate a 统一社会信用代码 (normalised like an ID number) and return it in upper case."""
    text = normalise_identifier(raw)
    if len(text) != 18:
        raise InvalidIdentifier(f"统一社会信用代码应为18位，现为{len(text)}位")
    bad = sorted({c for c in text if c not in USCC_CHARS})
    if bad:
        raise InvalidIdentifier(f"统一社会信用代码不能包含字符：{'、'.join(bad)}（不使用 I、O、Z、S、V）")
    if text[17] != uscc_check_char(text[:17]):
        raise InvalidIdentifier(f"统一社会信用代码{CHECKSUM_MESSAGE}")
    return text


def parse_mobile(raw: str) -> str:
    text = normalise_identifier(raw).replace("-", "")
    if not MOBILE_RE.fullmatch(text):
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
    text = normalise_identifier(value)
    if SCIENTIFIC_RE.match(text):
        return text, "身份证号被 Excel 存成了数字（科学计数法），后几位已经丢失：请把该列设为“文本”后重新录入或从原始名单复制"
    return text, None
