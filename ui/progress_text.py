"""The sentence about the files beside the targets' base, shared by the dashboard and the home page."""

from __future__ import annotations


def progress_caption(apart: dict[str, int]) -> str:
    """apart: core.progress.apart — 新增, withdrawn (out of the base) and reopened (in it, not out until out again)."""
    return (f"基线档案已退出 {apart['退出']:,} 户（自退出之日起不计入基数） · 返困 {apart['返困']:,} 户（计入基数，再次解困脱困前按未完成计） · "
            f"新增（基线后建档）{apart['新增']:,} 户，其中已解困脱困 {apart['新增已解困脱困']:,} 户（另行统计，不计入基数）")
