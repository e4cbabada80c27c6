"""Display helpers: labels for codes and yuan for fen."""

from __future__ import annotations

from core.money import fen_to_yuan

__all__ = ["fen_to_yuan", "yuan"]


def yuan(fen: int | None) -> str:
    return "" if fen is None else f"{fen_to_yuan(fen)} 元"
