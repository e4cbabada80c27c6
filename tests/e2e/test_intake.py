"""Opening a household file in a real browser, as a staff user of 海港区 does it.

The walk: log in, 新建档案, head + causes + two members typed into the 家庭成员 grid, a mistyped
身份证号 refused with the exact reason (nothing typed is lost), the fix saved and shown as the
one-household view, then a second file whose head is already a member of the first one refused.

How the 家庭成员 grid (st.data_editor, a glide-data-grid canvas) is driven — reusable as is:
- Glide keeps an accessibility table inside the canvas: cell (column c, row r) is the
  `<td id="glide-cell-{c}-{r}">` (column 0 is the row-marker column, so 姓名 is 1), with
  `aria-selected="true"` on the selected cell and the cell's shown value as its text. The helpers
  wait on those instead of sleeping, and the test reads the grid back from them. (The table is
  ARIA-hidden: find it with `include_hidden=True` or plain CSS.)
- A new row: click the empty trailing row under the last one (rows are 35 px, the header too);
  that appends a row and opens the text editor on the clicked cell.
- Moving: arrow keys, one cell at a time, checking `aria-selected` after each (`_go_to`). After a
  commit with Tab, glide sometimes moves the selection right and sometimes leaves it, so never
  count on where it lands.
- A text cell: Enter opens the editor (`#portal textarea`); fill it, Tab commits.
- A select cell: Enter opens a react-select (`#portal input[role=combobox]`); fill filters it,
  ArrowDown moves to the wanted option (checked through `aria-activedescendant`: 子女 also finds
  孙子女), Tab picks it and closes the editor. (Clicking an option with the mouse works too, but
  then the grid sometimes ignores the next arrow key.)
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import func, select

from core.identity import id_check_char
from db.actor import system_actor
from db.engine import make_engine, transaction
from db.models import Household, Member, Org
from db.reference import district_union_name
from db.users import create_first_admin, create_user

from .conftest import login as _login, uncaught_errors, wait_for_run

PASSWORD = "jiekun-e2e-2024"
STAFF, STAFF_NAME = "hg.staff", "李秀英"
DISTRICT = "海港区"
FILE_NO = "QHD-130302-000001"
ROW_PX = 35  # glide-data-grid row (and header) height in Streamlit's grids


def _id(first17: str) -> str:
    return first17 + id_check_char(first17)


HEAD = "张建军"
HEAD_ID = _id("13030219850315001")
MISTYPED_ID = HEAD_ID[:-1] + ("1" if HEAD_ID[-1] != "1" else "2")
MEMBERS = (("刘丽", "配偶", _id("13030219870620002")), ("张小明", "子女", _id("13030220120901003")))
SECOND_HEAD = "赵志强"
NAME, RELATION, ID_NUMBER = 1, 2, 3  # grid columns (0 is the row marker)
FORM_SHOT, VIEW_SHOT = Path("/tmp/jiekun-intake-form.png"), Path("/tmp/jiekun-intake-view.png")
MEMBERS_SHOT = Path("/tmp/jiekun-intake-members.png")


@pytest.fixture
def staff_user(app_db_url: str) -> str:
    """An administrator (so the app is past its first run) and a staff user of 海港区总工会, written before the browser opens."""
    engine = make_engine(app_db_url)
    try:
        with transaction(engine) as session:
            create_first_admin(session, username="e2e.admin", display_name="王建国", password=PASSWORD, password_repeat=PASSWORD)
        with transaction(engine) as session:
            union = session.scalar(select(Org).where(Org.name == district_union_name(DISTRICT)))
            create_user(session, system_actor("test"), username=STAFF, display_name=STAFF_NAME, password=PASSWORD,
                        role="staff", org_id=union.id)
    finally:
        engine.dispose()
    return STAFF


# --- the page's widgets -------------------------------------------------------------------------


def _open_new_form(page: Page) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="新建档案", exact=True).click()
    wait_for_run(page)
    expect(page.get_by_role("heading", name="新建档案", exact=True)).to_be_visible()


def _widget(page: Page, test_id: str, label: str) -> Locator:
    return page.get_by_test_id(test_id).filter(has=page.get_by_text(label, exact=True))


def _choose(page: Page, label: str, option: str) -> None:
    """Pick an option of a st.selectbox by its label."""
    box = _widget(page, "stSelectbox", label)
    box.click()
    box.get_by_role("combobox").fill(option)
    page.get_by_role("option", name=option, exact=True).click()
    _expect_chosen(page, label, option)


def _expect_chosen(page: Page, label: str, option: str) -> None:
    # union names are indented under their parent with ideographic spaces
    expect(_widget(page, "stSelectbox", label).get_by_role("combobox")).to_have_value(re.compile(rf"^\s*{re.escape(option)}$"))


def _add_choice(page: Page, label: str, option: str) -> None:
    """Add an option to a st.multiselect by its label."""
    box = _widget(page, "stMultiSelect", label)
    box.click()
    box.get_by_role("combobox").fill(option)
    page.get_by_role("option", name=option, exact=True).click()
    page.keyboard.press("Escape")
    expect(box).to_contain_text(option)


def _save(page: Page) -> None:
    page.get_by_test_id("stFormSubmitButton").filter(has_text="保存档案").click()
    wait_for_run(page)


def _screenshot(page: Page, path: Path) -> None:
    """The whole page: Streamlit scrolls inside its main block, so make the window as tall as the content."""
    viewport = page.viewport_size
    height = page.evaluate(
        "Math.max(...['stMain', 'stAppViewContainer', 'stMainBlockContainer']"
        ".map(id => document.querySelector(`[data-testid='${id}']`)?.scrollHeight || 0))")
    page.set_viewport_size({"width": viewport["width"], "height": max(viewport["height"], height + 40)})
    page.wait_for_timeout(300)  # let the grid canvases repaint at the new size
    page.screenshot(path=str(path))
    page.set_viewport_size(viewport)


def _logged_errors(log_path: Path) -> list[str]:
    """ERROR lines of the app's own logger: app.py catches a failing page, shows 页面出现意外错误 and logs it,
    so Streamlit never reports it as an uncaught exception."""
    lines = log_path.read_text(encoding="utf-8", errors="replace").splitlines()
    return [line for line in lines if re.search(r" (ERROR|CRITICAL) ", line)]


# --- the 家庭成员 grid ---------------------------------------------------------------------------


def _cell(grid: Locator, column: int, row: int) -> Locator:
    return grid.locator(f"#glide-cell-{column}-{row}")


def _selected(grid: Locator) -> tuple[int, int] | None:
    ids = grid.locator("td[aria-selected='true']").evaluate_all("cells => cells.map(c => c.id)")
    if len(ids) != 1:
        return None
    column, row = ids[0].removeprefix("glide-cell-").split("-")
    return int(column), int(row)


def _go_to(page: Page, grid: Locator, column: int, row: int) -> None:
    """Select a cell with the arrow keys, starting from wherever the selection is.

    After an edit is committed with Tab, glide sometimes moves the selection to the right and
    sometimes leaves it where it was, so each step looks where the selection is and moves one cell
    towards the target (an overshoot is corrected the same way).
    """
    for _ in range(30):
        current = _selected(grid)
        if current == (column, row):
            return
        if current is None:
            page.wait_for_timeout(100)
            continue
        at_column, at_row = current
        if at_column != column:
            page.keyboard.press("ArrowRight" if at_column < column else "ArrowLeft")
        else:
            page.keyboard.press("ArrowDown" if at_row < row else "ArrowUp")
        expect(_cell(grid, at_column, at_row)).to_have_attribute("aria-selected", "false")
    expect(_cell(grid, column, row)).to_have_attribute("aria-selected", "true")


def _type_cell(page: Page, grid: Locator, column: int, row: int, text: str, *, editor_open: bool = False) -> None:
    editor = page.locator("#portal textarea")
    if not editor_open:
        _go_to(page, grid, column, row)
        page.keyboard.press("Enter")
    expect(editor).to_be_focused()
    editor.fill(text)
    expect(editor).to_have_value(text)
    page.keyboard.press("Tab")
    expect(editor).to_have_count(0)
    expect(_cell(grid, column, row)).to_have_text(text)


def _choose_cell(page: Page, grid: Locator, column: int, row: int, option: str) -> None:
    _go_to(page, grid, column, row)
    page.keyboard.press("Enter")
    box = page.locator("#portal input[role='combobox']")
    expect(box).to_be_focused()
    box.fill(option)  # filters: 子女 also finds 孙子女
    wanted = page.locator("#portal").get_by_role("option", name=option, exact=True)
    expect(wanted).to_be_visible()
    wanted_id = wanted.get_attribute("id")
    for _ in range(10):
        if box.get_attribute("aria-activedescendant") == wanted_id:
            break
        page.keyboard.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant", wanted_id)
    page.keyboard.press("Tab")
    expect(box).to_have_count(0)
    expect(_cell(grid, column, row)).to_have_text(option)


def _add_member(page: Page, grid: Locator, row: int, name: str, relation: str, id_number: str) -> None:
    # a click on the empty row under the last one appends a row and opens the editor on the clicked cell
    grid.click(position={"x": 60, "y": ROW_PX * (row + 1) + ROW_PX // 2})
    _type_cell(page, grid, NAME, row, name, editor_open=True)
    _choose_cell(page, grid, RELATION, row, relation)
    _type_cell(page, grid, ID_NUMBER, row, id_number)
    page.keyboard.press("Escape")


def _expect_members_in_grid(grid: Locator) -> None:
    expect(grid.locator("tbody tr")).to_have_count(len(MEMBERS))
    for row, (name, relation, id_number) in enumerate(MEMBERS):
        expect(_cell(grid, NAME, row)).to_have_text(name)
        expect(_cell(grid, RELATION, row)).to_have_text(relation)
        expect(_cell(grid, ID_NUMBER, row)).to_have_text(id_number)


# --- the walk ---------------------------------------------------------------------------------


def test_staff_opens_a_file_with_two_members(staff_user: str, app_url: str, app_db_url: str, app_log: Path, page: Page,
                                             tmp_path: Path) -> None:
    page.goto(app_url)
    wait_for_run(page)
    _login(page, staff_user, PASSWORD)
    expect(page.get_by_test_id("stSidebar").get_by_text(STAFF_NAME)).to_be_visible()
    _open_new_form(page)

    # The head, with a mistyped 身份证号 (the last character changed), and the causes.
    name_box = page.get_by_label("户主姓名 *", exact=True)
    id_box = page.get_by_label("身份证号 *", exact=True)
    name_box.fill(HEAD)
    id_box.fill(MISTYPED_ID)
    _choose(page, "工作状态", "失(无)业")
    _choose(page, "主要致困原因 *", "下岗失业")
    _add_choice(page, "次要致困原因（最多3个）", "患重特大疾病")
    _expect_chosen(page, "所属工会 *", district_union_name(DISTRICT))

    grid = page.get_by_test_id("stDataFrame").filter(has=page.get_by_role("columnheader", name="关系", exact=True, include_hidden=True))
    expect(grid).to_have_count(1)
    grid.scroll_into_view_if_needed()
    for row, member in enumerate(MEMBERS):
        _add_member(page, grid, row, *member)
    _expect_members_in_grid(grid)

    # Refused, with the exact reason under the field; nothing typed is lost.
    _save(page)
    expect(page.get_by_text("未保存：有 1 处需要修改，见下方标红的提示。")).to_be_visible()
    reason = page.get_by_test_id("stAlert").filter(has_text="校验位不符")
    expect(reason.get_by_test_id("stMarkdownContainer")).to_have_text("校验位不符，请逐位核对")
    expect(name_box).to_have_value(HEAD)
    expect(id_box).to_have_value(MISTYPED_ID)
    _expect_chosen(page, "主要致困原因 *", "下岗失业")
    expect(_widget(page, "stMultiSelect", "次要致困原因（最多3个）")).to_contain_text("患重特大疾病")
    _expect_members_in_grid(grid)
    _screenshot(page, tmp_path / "intake-form.png")
    shutil.copyfile(tmp_path / "intake-form.png", FORM_SHOT)

    # Fixed and saved: the one-household view of the new file.
    id_box.fill(HEAD_ID)
    _save(page)
    expect(page.get_by_role("heading", name=HEAD, exact=True)).to_be_visible()
    expect(page.get_by_text(f"已新建档案 {FILE_NO}（申请中）")).to_be_visible()
    expect(page.get_by_text(f"档案编号 {FILE_NO} · {DISTRICT} · {district_union_name(DISTRICT)} · 状态：申请中 · 困难类别：未认定")).to_be_visible()
    # the category and why: none yet, and what it takes
    expect(page.get_by_text("困难类别：未认定", exact=True)).to_be_visible()
    expect(page.get_by_text("尚未认定。录入月收入后可认定。")).to_be_visible()
    causes = page.get_by_role("tabpanel").get_by_test_id("stDataFrame").filter(has_text="致困原因")
    expect(causes).to_contain_text("下岗失业主要未消除")
    expect(causes).to_contain_text("患重特大疾病次要未消除")
    _screenshot(page, tmp_path / "intake-view.png")
    shutil.copyfile(tmp_path / "intake-view.png", VIEW_SHOT)
    page.get_by_role("tab", name=f"家庭成员（{len(MEMBERS)}）").click()
    members = page.get_by_role("tabpanel").get_by_test_id("stDataFrame")
    expect(members.locator("tbody tr")).to_have_count(len(MEMBERS))
    for name, relation, id_number in MEMBERS:
        expect(members.locator("tbody tr").filter(has_text=name)).to_contain_text(f"{name}{relation}{id_number}")
    _screenshot(page, tmp_path / "intake-members.png")
    shutil.copyfile(tmp_path / "intake-members.png", MEMBERS_SHOT)

    # A second file whose head is already a member of the first: refused, and says where.
    _open_new_form(page)
    expect(page.get_by_label("户主姓名 *", exact=True)).to_have_value("")
    page.get_by_label("户主姓名 *", exact=True).fill(SECOND_HEAD)
    page.get_by_label("身份证号 *", exact=True).fill(MEMBERS[0][2])
    _choose(page, "主要致困原因 *", "无劳动能力")
    _save(page)
    duplicate = page.get_by_test_id("stAlert").filter(has_text="一人只能在一个未关闭的档案中")
    expect(duplicate.get_by_test_id("stMarkdownContainer")).to_have_text(
        f"身份证号 {MEMBERS[0][2]} 已在{DISTRICT}的档案 {FILE_NO} 中（作为家庭成员），一人只能在一个未关闭的档案中")
    expect(duplicate.get_by_role("link", name=FILE_NO)).to_have_attribute("href", re.compile(rf"household\?file={FILE_NO}$"))
    expect(page.get_by_label("户主姓名 *", exact=True)).to_have_value(SECOND_HEAD)

    # The two refused saves wrote nothing: one file, with its two members.
    engine = make_engine(app_db_url)
    try:
        with transaction(engine) as session:
            assert session.scalars(select(Household.file_no)).all() == [FILE_NO]
            assert session.scalar(select(func.count()).select_from(Member)) == len(MEMBERS)
    finally:
        engine.dispose()
    assert uncaught_errors(app_log) == [], "a script run crashed while opening a file"
    assert _logged_errors(app_log) == [], "a page failed (the user saw 页面出现意外错误)"
