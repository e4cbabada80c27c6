"""Ticking rows of a selectable table (ui.selection) under AppTest, by position, as a person clicks them."""

from __future__ import annotations

from ui.selection import current_key_name


def tick(at, table: str, rows: list[int]) -> None:
    """Tick `rows` (0-based positions) of table `table` as it is shown now, and run."""
    at.session_state[at.session_state[current_key_name(table)]] = {"selection": {"rows": rows, "columns": [], "cells": []}}
    at.run()


def ticked(at, table: str) -> list[int]:
    """The positions ticked in table `table` as it is shown now."""
    return list(at.session_state[at.session_state[current_key_name(table)]]["selection"]["rows"])
