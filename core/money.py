"""Money is integer fen (分) everywhere in code and store; yuan with two decimals on screen."""

from __future__ import annotations

import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from core.typed import echo


class InvalidAmount(ValueError):
    """An amount a user typed that is not money; the message is for the user."""


# No amount the policy deals in (a household's month, a payment, a 低保 line) comes near 1 亿元; a bound keeps a
# mistyped "1e20" out of the store and every sum of fen inside a 64-bit integer (SQLite's SUM() fails past it).
MAX_YUAN = Decimal("100000000")
MAX_PERSONS = 30


def persons_count(value: object) -> int | None:
    """A household's number of persons as typed or read from a spreadsheet (1–30; "3" or 3.0), or None."""
    text = unicodedata.normalize("NFKC", str(value if value is not None else "")).strip()
    try:
        number = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite() or number != number.to_integral_value() or not 1 <= number <= MAX_PERSONS:
        return None
    return int(number)


def yuan_to_fen(value: str | int | float | Decimal, *, allow_negative: bool = False) -> int:
    """Parse an amount in yuan (as typed or read from a spreadsheet) into integer fen."""
    text = unicodedata.normalize("NFKC", str(value)).strip().replace(",", "").replace("，", "")
    text = text.removesuffix("元").strip()  # "500元" as people write it
    try:
        amount = Decimal(text)
    except (InvalidOperation, ValueError):
        raise InvalidAmount(f"金额“{echo(value)}”不是有效数字") from None
    if not amount.is_finite():
        raise InvalidAmount(f"金额“{echo(value)}”不是有效数字")
    if amount < 0 and not allow_negative:
        raise InvalidAmount("金额不能为负数")
    if abs(amount) > MAX_YUAN:
        raise InvalidAmount("金额不能超过 1 亿元，请核对是否多输了位数")
    if amount != amount.quantize(Decimal("0.01")):
        raise InvalidAmount("金额最多保留两位小数（到分）")
    return int((amount * 100).to_integral_value(rounding=ROUND_HALF_UP))


def fen_to_yuan(fen: int | None) -> str:
    """Format fen as yuan with two decimals and thousands separators, e.g. 123456 -> '1,234.56'."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{whole:,}.{cents:02d}"


def per_capita_fen(total_fen: int, persons: int) -> int:
    """Per-capita income, rounded down to the fen (DOMAIN.md)."""
    if persons < 1:
        raise ValueError("persons must be at least 1")
    return total_fen // persons
