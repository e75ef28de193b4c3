"""The Diia acquirer API client: session token, branch, offer, deeplink.

Only the calls the archive needs, with httpx. The acquirer token and the base
URL come from the settings; the session token Diia hands out for it is kept
and renewed when Diia refuses it. Every transport or API failure becomes
:class:`DiiaUnavailable` with one Ukrainian sentence (the token never goes
into a message or a log).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx

from archive.settings import SharingSettings

# The documents a centre asks for (Diia's names of the document types).
DOCUMENT_TYPES = (
    "internal-passport",
    "foreign-passport",
    "taxpayer-card",
    "birth-certificate",
    "reference-internally-displaced-person",
    "driver-license",
    "vehicle-license",
)
# Diia's session tokens live two hours; renew a little earlier.
_SESSION_SECONDS = 110 * 60


class DiiaUnavailable(Exception):
    """The acquirer API could not be reached or refused the call."""

    def __init__(self, reason: str, code: str = "diia_unavailable") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


@dataclass(frozen=True, slots=True)
class Deeplink:
    branch_id: str
    offer_id: str
    request_id: str
    deeplink: str


class DiiaClient:
    """One acquirer's client (thread-compatible, not thread-safe: one per use)."""

    def __init__(
        self,
        *,
        base_url: str,
        acquirer_token: str,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._token = acquirer_token
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            timeout=timeout,
            transport=transport,
            headers={"Accept": "application/json"},
        )
        self._session: str | None = None
        self._session_until = 0.0

    @classmethod
    def from_settings(
        cls, settings: SharingSettings, transport: httpx.BaseTransport | None = None
    ) -> DiiaClient:
        if not settings.diia_base_url or settings.acquirer_token is None:
            raise DiiaUnavailable(
                "Обмін документами з Дії не налаштовано (CNAP_SHARING__DIIA_BASE_URL, "
                "CNAP_SHARING__ACQUIRER_TOKEN)",
                "not_configured",
            )
        return cls(
            base_url=settings.diia_base_url,
            acquirer_token=settings.acquirer_token.get_secret_value(),
            timeout=settings.timeout_seconds,
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> DiiaClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the calls ---------------------------------------------------------

    def session_token(self) -> str:
        """A session token for the acquirer token (cached until shortly before it expires)."""
        if self._session is None or time.monotonic() >= self._session_until:
            body = self._send("GET", f"/api/v1/auth/acquirer/{self._token}", auth=False)
            token = body.get("token")
            if not isinstance(token, str) or not token:
                raise DiiaUnavailable("Дія не видала сесійний токен", "diia_bad_answer")
            self._session = token
            self._session_until = time.monotonic() + _SESSION_SECONDS
        return self._session

    def ensure_branch(self, *, name: str, delivery_url: str | None, scopes: list[str]) -> str:
        """The id of the branch named ``name``, created when Diia does not have it yet."""
        body = self._send("GET", "/api/v2/acquirers/branches", params={"skip": 0, "limit": 100})
        for branch in body.get("branches", []):
            if isinstance(branch, dict) and branch.get("name") == name:
                return str(branch["_id"])
        created = self._send(
            "POST",
            "/api/v2/acquirers/branch",
            json={
                "name": name,
                "customFullName": name,
                "deliveryTypes": ["api"],
                "offerRequestType": "dynamic",
                "offerRequestUrl": delivery_url,
                "scopes": {"sharing": scopes},
            },
        )
        return _id(created)

    def ensure_offer(self, branch_id: str, *, name: str, scopes: list[str]) -> str:
        """The id of the branch's offer named ``name``, created when missing."""
        body = self._send("GET", f"/api/v1/acquirers/branch/{branch_id}/offers")
        for offer in body.get("offers", []):
            if isinstance(offer, dict) and offer.get("name") == name:
                return str(offer["_id"])
        created = self._send(
            "POST",
            f"/api/v1/acquirers/branch/{branch_id}/offer",
            json={"name": name, "scopes": {"sharing": scopes}},
        )
        return _id(created)

    def deeplink(self, branch_id: str, offer_id: str, request_id: str) -> str:
        """A deeplink for the request id the archive generated."""
        body = self._send(
            "POST",
            f"/api/v2/acquirers/branch/{branch_id}/offer-request/dynamic",
            json={"offerId": offer_id, "requestId": request_id},
        )
        link = body.get("deeplink")
        if not isinstance(link, str) or not link.startswith("https://"):
            raise DiiaUnavailable("Дія не видала посилання для запиту", "diia_bad_answer")
        return link

    def request_documents(
        self, *, request_id: str, branch: str, offer: str, delivery_url: str | None
    ) -> Deeplink:
        """Branch and offer (found or created), then the deeplink for ``request_id``."""
        scopes = list(DOCUMENT_TYPES)
        branch_id = self.ensure_branch(name=branch, delivery_url=delivery_url, scopes=scopes)
        offer_id = self.ensure_offer(branch_id, name=offer, scopes=scopes)
        return Deeplink(
            branch_id, offer_id, request_id, self.deeplink(branch_id, offer_id, request_id)
        )

    # --- transport ---------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        *,
        auth: bool = True,
        json: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        for attempt in (1, 2):
            headers = {"Authorization": f"Bearer {self.session_token()}"} if auth else {}
            try:
                resp = self._http.request(method, path, json=json, params=params, headers=headers)
            except httpx.HTTPError as exc:
                raise DiiaUnavailable("Сервіс Дії недоступний; спробуйте пізніше") from exc
            if resp.status_code == 401 and auth and attempt == 1:
                self._session = None  # the session ended early: one new one, once
                continue
            if resp.status_code >= 400:
                raise DiiaUnavailable(
                    f"Дія відхилила запит (код {resp.status_code})", "diia_refused"
                )
            try:
                body = resp.json()
            except ValueError as exc:
                raise DiiaUnavailable("Дія відповіла не у форматі JSON", "diia_bad_answer") from exc
            if not isinstance(body, dict):
                raise DiiaUnavailable("Дія відповіла не у форматі JSON", "diia_bad_answer")
            return body
        raise DiiaUnavailable("Дія не прийняла сесійний токен", "diia_refused")


def _id(body: dict[str, Any]) -> str:
    value = body.get("_id")
    if not isinstance(value, str) or not value:
        raise DiiaUnavailable("Дія не повідомила ідентифікатор", "diia_bad_answer")
    return value
