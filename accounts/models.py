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
MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH = 12, 200


def password_problem(password: str, email: str = "") -> str | None:
    """The minimum policy for a staff password (NIST SP 800-63B: length, not composition), or
    None when it is acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"a password needs at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"a password has at most {MAX_PASSWORD_LENGTH} characters"
    if len(set(password)) < 4:
        return "a password needs more than a few distinct characters"
    folded = password.casefold()
    if email and (folded == email.casefold() or folded == email.split("@")[0].casefold()):
        return "a password must not be the email address"
    return None


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
    # Part of every session's user id (`get_id`): raising it ends every session signed in before.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    def set_password(self, password: str) -> None:
        """A new password ends the sessions signed in with the old one."""
        self.password_hash = generate_password_hash(password)
        self.end_sessions()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def end_sessions(self) -> None:
        """Sign out, deactivation, a new password: cookies issued before stop working."""
        self.session_version = (self.session_version or 0) + 1

    def get_id(self) -> str:
        """`<id>.<session version>`: Flask-Login keeps this in the session cookie, so a cookie
        from before the version moved names a version the user no longer has."""
        return f"{self.id}.{self.session_version or 0}"

    def has_role(self, role: str) -> bool:
        """Admins may do everything; supervisors a specialist's work too; others their own role's."""
        return (self.role == role or self.role == ADMIN
                or (self.role == SUPERVISOR and role == SPECIALIST))

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return bool(self.active)
