"""A member of staff and what they may do."""

from __future__ import annotations

import hashlib

from flask_login import UserMixin
from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from config.database import Base

ADMIN, SPECIALIST, PLANNER, SUPERVISOR = "admin", "specialist", "planner", "supervisor"
ROLES = (ADMIN, SPECIALIST, PLANNER, SUPERVISOR)


def token_digest(token: str) -> str:
    """API tokens are stored as digests; a leaked table does not leak working tokens."""
    return hashlib.sha256(token.encode()).hexdigest()


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(256))
    api_token_digest: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    specialist_id: Mapped[int | None] = mapped_column(Integer)  # ivr.models.Specialist.id
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def has_role(self, role: str) -> bool:
        """Admins may do everything; supervisors a specialist's work too; others their own role's."""
        return (self.role == role or self.role == ADMIN
                or (self.role == SUPERVISOR and role == SPECIALIST))

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return bool(self.active)
