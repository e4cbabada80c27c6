"""Which pages each role may use. `st.navigation` gets only these, so other pages are unreachable.

The screens live in screens/, not pages/: Streamlit treats a pages/ folder beside the entry script
as its legacy multipage mode, which (until st.navigation has run once in a process, and on every
AppTest run) executes the requested page file directly, skipping the login and role gate in app.py.
"""

from __future__ import annotations

from dataclasses import dataclass

ALL_ROLES = ("admin", "staff", "viewer", "analyst")


@dataclass(frozen=True)
class PageSpec:
    section: str
    path: str
    title: str
    icon: str
    roles: tuple[str, ...]
    url_path: str


PAGES: tuple[PageSpec, ...] = (
    PageSpec("工作", "screens/home.py", "首页", ":material/home:", ALL_ROLES, "home"),
    PageSpec("工作", "screens/worklist.py", "工作台", ":material/checklist:", ("admin", "staff"), "worklist"),
    PageSpec("档案", "screens/households.py", "档案列表", ":material/folder_shared:", ("admin", "staff"), "households"),
    PageSpec("档案", "screens/household_form.py", "新建档案", ":material/person_add:", ("admin", "staff"), "household-edit"),
    PageSpec("档案", "screens/household.py", "一户一档", ":material/contact_page:", ("admin", "staff"), "household"),
    PageSpec("档案", "screens/incomes.py", "月收入录入", ":material/payments:", ("admin", "staff"), "incomes"),
    PageSpec("帮扶", "screens/pairings.py", "结对帮扶", ":material/handshake:", ("admin", "staff"), "pairings"),
    PageSpec("帮扶", "screens/ledger.py", "资金台账", ":material/account_balance_wallet:", ALL_ROLES, "ledger"),
    PageSpec("数据", "screens/excel.py", "Excel导入导出", ":material/table_view:", ("admin", "staff"), "excel"),
    PageSpec("进度", "screens/dashboard.py", "进度看板", ":material/monitoring:", ALL_ROLES, "dashboard"),
    PageSpec("进度", "screens/proposals.py", "可脱困/可解困名单", ":material/task_alt:", ("admin", "staff"), "proposals"),
    PageSpec("政策参数", "screens/policy_params.py", "低保标准与参数", ":material/tune:", ALL_ROLES, "parameters"),
    PageSpec("政策参数", "screens/policy_lab.py", "政策模拟", ":material/science:", ("admin", "analyst", "staff"), "policy-lab"),
    PageSpec("系统管理", "screens/users.py", "用户管理", ":material/manage_accounts:", ("admin",), "users"),
    PageSpec("系统管理", "screens/orgs.py", "工会组织", ":material/account_tree:", ("admin",), "orgs"),
    PageSpec("系统管理", "screens/audit_log.py", "操作日志", ":material/history:", ("admin",), "audit"),
)


def pages_for(role: str) -> list[PageSpec]:
    return [p for p in PAGES if role in p.roles]


def pages_not_for(role: str) -> list[PageSpec]:
    return [p for p in PAGES if role not in p.roles]
