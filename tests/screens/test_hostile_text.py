"""User text can never become a link or an image: every page of every role, rendered over a store whose every text
field holds Markdown and HTML aimed at a foreign host, shows no link or image to it — and neither does 一户一档
opened with a crafted `?file=` address.

A Markdown element's text is what the browser's Markdown renderer is given. An escaped character (`\\[`) is shown
literally and cannot form syntax, so a link, an image or an HTML src/href is looked for with escaped characters taken
out; a bare address (`http://…`, `www.…`) is linked after escapes are resolved, so it is looked for with them
resolved."""

import datetime as dt
import re

import pytest
from sqlalchemy import select
from streamlit.testing.v1.element_tree import Block

from db import assistance, audit, measures, pairings, users, visits
from db.actor import system_actor
from db.engine import transaction
from db.models import (DibaoLine, ImportBatch, Member, Org, PolicyParameter, ProcessStep, StatusChange,
                       User, now)
from db.reference import add_org
from tests.db.support import add_file
from tests.screens.conftest import PASSWORD, app_as, assert_ok
from ui.navigation import pages_for

TODAY = dt.date.today()
LINK = "[点我](http://evil.example/)"
IMAGE = "![](http://evil.example/x.png)"
IMG_TAG = "<img src=http://evil.example/y>"
A_TAG = "<a href=http://evil.example/z>点</a>"
BARE = "www.evil.example/w"
HOSTILE = (LINK, IMAGE, IMG_TAG, A_TAG, BARE)
# Markdown syntax forms only from unescaped characters: a link or image destination, or an HTML tag's src/href
SYNTAX = re.compile(r"\]\(\s*<?(?:https?:)?//evil\.example|<[a-z][^>\x00]*(?:src|href)\s*=\s*[\"']?(?:https?:)?//evil\.example",
                    re.IGNORECASE)
# bare addresses are linked after escapes are resolved (remark-gfm's autolink literals), by this pattern
AUTOLINK = re.compile(r"(?:https?://|www\.)evil\.example", re.IGNORECASE)
ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")
# elements whose text Streamlit renders as Markdown; every element's label and help are Markdown too
MARKDOWN_VALUES = {"markdown", "caption", "title", "header", "subheader", "heading", "error", "warning", "info", "success",
                   "toast", "exception", "latex"}


def hostile(k: int, short: bool = False) -> str:
    """Field k's hostile text (each field gets its own mix, so every kind reaches every field type)."""
    first, second = HOSTILE[k % len(HOSTILE)], HOSTILE[(k + 1) % len(HOSTILE)]
    return first if short else f"{first}{second}"


def _fill(engine) -> str:
    """Every text field a user can type: the file, its people, plan, payments, visits, helper, assistance, steps, the
    union, users, an import batch, a line and a parameter note. Returns the hostile file's number."""
    with transaction(engine) as s:
        system = system_actor("test")
        district = s.scalar(select(Org).where(Org.name == "海港区总工会"))
        union = add_org(s, hostile(0), "grassroots", district, district.place_code)
        file = add_file(s, 1, org_name="海港区总工会", causes=("6", "3"), filed_on=TODAY - dt.timedelta(days=400))
        file.org_id = union.id
        file.name, file.file_no, file.worker_no = hostile(1, short=True), hostile(0, short=True), hostile(2, short=True)
        file.employer, file.address, file.bank_name, file.updated_by = hostile(3), hostile(4), hostile(5), hostile(6)
        file.category_explanation = hostile(7)
        s.add(Member(household_id=file.id, name=hostile(2, short=True), relation="spouse", school_or_employer=hostile(8),
                     monthly_income_fen=0))
        s.flush()
        measure, _ = measures.add_measure(s, system, file.id, {
            "track": "medical", "programme": "love_card", "cause": "6", "content": hostile(9), "status": "in_progress",
            "start_on": TODAY - dt.timedelta(days=200), "end_on": None, "responsible": hostile(10, short=True), "amount": "200",
            "fund_source": "union", "pay_every": "monthly", "first_pay_on": TODAY - dt.timedelta(days=190), "pay_count": 12},
            today=TODAY)
        measures.add_payment(s, system, file.id, {"paid_on": TODAY - dt.timedelta(days=30), "amount": "300",
                                                  "fund_source": "union", "note": hostile(11)}, today=TODAY)
        pairings.assign_helper(s, system, [file.id], {"helper_name": hostile(12, short=True), "helper_unit": hostile(13),
                                                      "helper_phone": "13911112222",
                                                      "start_on": TODAY - dt.timedelta(days=300)},
                               expected={file.id: None}, today=TODAY, reason=hostile(14))
        visits.record_visits(s, system, [file.id], {"visited_on": TODAY - dt.timedelta(days=400), "visitor": hostile(15, short=True),
                                                    "kind": "home", "notes": hostile(16), "needs": hostile(17)}, today=TODAY)
        assistance.add_record(s, system, file.id, {"programme": "dibao", "from_on": TODAY - dt.timedelta(days=100), "to_on": None,
                                                   "source": "manual", "note": hostile(18)}, today=TODAY, reason=hostile(19))
        s.add(ProcessStep(household_id=file.id, step="apply", done_on=TODAY - dt.timedelta(days=420), done_by=hostile(20, short=True),
                          note=hostile(21)))
        s.add(StatusChange(household_id=file.id, from_status="active", to_status="active", effective_on=TODAY - dt.timedelta(days=10),
                           note=hostile(22), recorded_by=hostile(23, short=True)))
        applying = add_file(s, 2, org_name="海港区总工会", status="applying", causes=("3",))
        applying.name, applying.org_id = hostile(24, short=True), union.id
        s.add(DibaoLine(place_code=district.place_code, effective_from=dt.date(2020, 1, 1), amount_fen=70000, note=hostile(25)))
        s.add(PolicyParameter(key="visit_interval_months", effective_from=dt.date(2020, 6, 1), value="3", note=hostile(26)))
        s.add(ImportBatch(at=now(), actor=hostile(27, short=True), org_path=district.path, filename=hostile(28), counts="{}"))
        audit.record(s, system, "update", "household", file.id, household_id=file.id, field="name", old=hostile(30),
                     new=hostile(31), reason=hostile(32))
        for role, org in (("admin", None), ("staff", district), ("viewer", district), ("analyst", district)):
            users.create_user(s, system, username=f"u_{role}", display_name=f"{role}用户", password=PASSWORD, role=role,
                              org_id=(org or s.scalar(select(Org).where(Org.parent_id.is_(None)))).id)
        s.flush()
        for k, user in enumerate(s.scalars(select(User))):  # past any check a name is given at input
            user.display_name = hostile(33 + k, short=True)
        return file.file_no


def _markdown_texts(node) -> list[str]:
    """The text of every element under `node` that the browser renders as Markdown."""
    found = []
    if isinstance(node, Block):
        found += [t for t in (getattr(node, "label", None), getattr(node, "help", None)) if isinstance(t, str)]
        for child in node.children.values():
            found += _markdown_texts(child)
        return found
    for attribute in ("label", "help"):
        value = getattr(node, attribute, None)
        if isinstance(value, str):
            found.append(value)
    if node.type in MARKDOWN_VALUES:
        for attribute in ("value", "body"):
            try:
                value = getattr(node, attribute, None)
            except Exception:  # an element without that field in its proto
                value = None
            if isinstance(value, str):
                found.append(value)
    if node.type == "radio":
        found += [str(o) for o in node.options]
    return found


def foreign_links(at) -> list[str]:
    """The Markdown texts of the page that would link to, or load from, the foreign host."""
    bad = []
    for text in _markdown_texts(at._tree):
        if SYNTAX.search(ESCAPED.sub("\x00", text)) or AUTOLINK.search(ESCAPED.sub(r"\1", text)):
            bad.append(text)
    return bad


def _rendered(at) -> str:
    return "\n".join(_markdown_texts(at._tree))


@pytest.mark.parametrize("role", ["admin", "staff", "viewer", "analyst"])
def test_no_page_of_any_role_links_or_loads_a_foreign_host(app_db, role):
    file_no = _fill(app_db)
    at = app_as(f"u_{role}").run()
    assert_ok(at)
    shown = 0
    for spec in pages_for(role):
        at.switch_page(spec.path).run()
        assert_ok(at)
        assert foreign_links(at) == [], spec.path
        shown += "evil" in _rendered(at)
    assert shown  # the hostile text was on the pages (escaped), so the check looked at it
    if role in ("admin", "staff"):
        for page in ("screens/household.py", "screens/household_form.py"):
            for address in (file_no, LINK, IMAGE, IMG_TAG, A_TAG, BARE):  # the file itself, and crafted addresses
                at.switch_page(page)
                at.query_params["file"] = address
                at.run()
                assert_ok(at)
                assert foreign_links(at) == [], (page, address)
        at.switch_page("screens/household.py")
        at.query_params["file"] = file_no
        at.run()
        assert "evil" in _rendered(at)  # the file opened: its name, helper and notices were there to be checked
