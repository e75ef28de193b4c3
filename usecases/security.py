"""Former home of authentication; the names its importers use, re-exported.

Password hashing moved to :mod:`usecases.passwords`, tokens and sign-in to
:mod:`usecases.auth`, the OpenID Connect client to :mod:`usecases.oidc`.
Import from those; this module goes once nothing imports it.
"""

from __future__ import annotations

from usecases.auth import (
    authenticate,
    issue_token,
    oidc_user,
    resolve_token,
    revoke_token,
    token_digest,
)
from usecases.oidc import OidcClient, OidcError, sign, unsign
from usecases.passwords import MIN_PASSWORD, WeakPassword, hash_password, verify_password

__all__ = [
    "MIN_PASSWORD",
    "OidcClient",
    "OidcError",
    "WeakPassword",
    "authenticate",
    "hash_password",
    "issue_token",
    "oidc_user",
    "resolve_token",
    "revoke_token",
    "sign",
    "token_digest",
    "unsign",
    "verify_password",
]
