"""Sub-commands of ``cnap-archive``: ``user`` (accounts) and ``audit`` (the access log)."""

from __future__ import annotations

from api.commands.audit import audit_app
from api.commands.user import user_app

__all__ = ["audit_app", "user_app"]
