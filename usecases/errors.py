"""The one error taxonomy of the use cases.

Use cases raise these and nothing else; each adapter maps every class once
(HTTP status and RFC 9457 problem details in ``api.http.errors``, exit code
and one Ukrainian line in ``api.cli``). ``code`` is a stable machine-readable
word; ``message`` is one sentence for a person, in Ukrainian, and never
carries document text or identifiers.

An object outside the caller's scope is reported exactly like a missing one
(:class:`NotFound`), so probing reveals nothing.
"""

from __future__ import annotations

from typing import Any, ClassVar


class ArchiveError(Exception):
    """Base of every error a use case raises."""

    kind: ClassVar[str] = "error"
    default_code: ClassVar[str] = "error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.details = details or {}

    def __str__(self) -> str:
        return self.message


class Invalid(ArchiveError):
    """The input is not acceptable (a malformed value, a rule of the desk broken)."""

    kind = "invalid"
    default_code = "invalid"


class Unauthenticated(ArchiveError):
    """Nobody is signed in, or the credentials are wrong."""

    kind = "unauthenticated"
    default_code = "unauthenticated"


class Denied(ArchiveError):
    """The access policy refused."""

    kind = "denied"
    default_code = "denied"

    def __init__(
        self,
        message: str,
        decision: Any = None,
        *,
        code: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message, code=code, details=details)
        self.decision = decision


class NotFound(ArchiveError):
    """No such object — or none the caller may know of."""

    kind = "not_found"
    default_code = "not_found"


class Conflict(ArchiveError):
    """The object is not in a state that allows the action (already done, busy, …)."""

    kind = "conflict"
    default_code = "conflict"


class TooLarge(ArchiveError):
    """The input is over a configured limit."""

    kind = "too_large"
    default_code = "too_large"


class RateLimited(ArchiveError):
    """Too many attempts; ``retry_after`` seconds until the next one is heard."""

    kind = "rate_limited"
    default_code = "rate_limited"

    def __init__(self, message: str, retry_after: int, *, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


class Unavailable(ArchiveError):
    """A backend (store, index, broker, identity provider, central archive) does not answer."""

    kind = "unavailable"
    default_code = "unavailable"


ERRORS: tuple[type[ArchiveError], ...] = (
    Invalid,
    Unauthenticated,
    Denied,
    NotFound,
    Conflict,
    TooLarge,
    RateLimited,
    Unavailable,
)


def from_backend(exc: BaseException) -> ArchiveError | None:
    """A failure of a backend that escaped a use case, as the error a person understands.

    The database, object store and index clients raise their own exceptions;
    the adapters' last line of defence asks here rather than knowing them.
    """
    from sqlalchemy.exc import InterfaceError, OperationalError

    from archive.store import StoreError
    from search.base import IndexError_

    if isinstance(exc, StoreError):
        return Unavailable("сховище недоступне або пошкоджене", code="store_unavailable")
    if isinstance(exc, (OperationalError, InterfaceError)):
        return Unavailable("база даних недоступна", code="database_unavailable")
    if isinstance(exc, IndexError_):
        return Unavailable("пошуковий індекс недоступний", code="index_unavailable")
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return Unavailable("служба не відповідає (з'єднання не вдалося)", code="unavailable")
    return None
