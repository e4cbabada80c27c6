"""Who is acting: the logged-in user (or a system job), with the scope of their organisation."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    username: str
    display_name: str
    role: str  # codes.ROLE
    org_id: int | None
    org_path: str  # '/1/4/' — the subtree this actor may see; '/' sees everything
    org_name: str = ""
    user_id: int | None = None

    @property
    def sees_everything(self) -> bool:
        return self.role == "admin" or self.org_path == "/"

    @property
    def can_write_files(self) -> bool:
        return self.role in ("admin", "staff")

    @property
    def sees_personal_data(self) -> bool:
        """Names, ID numbers, file numbers, phones, addresses, bank cards: staff and administrators only.
        Viewers (看板) and analysts (政策分析) get figures, never whom they are about."""
        return self.role in PERSONAL_DATA_ROLES


PERSONAL_DATA_ROLES = ("admin", "staff")


def system_actor(job: str, org_path: str = "/") -> Actor:
    """A command-line or background job; the audit log records it as system:<job>."""
    return Actor(username=f"system:{job}", display_name=f"系统（{job}）", role="admin", org_id=None, org_path=org_path)
