"""The acquirer client against the local fake of Diia's endpoints (real HTTP)."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from archive.settings import SharingSettings
from ingest.sharing.diia import DiiaClient, DiiaUnavailable
from tests.sharing.fake_diia import ACQUIRER_TOKEN, FakeDiia


def _settings(fake: FakeDiia, token: str = ACQUIRER_TOKEN) -> SharingSettings:
    return SharingSettings(diia_base_url=fake.url, acquirer_token=SecretStr(token))


def test_deeplink_flow(fake_diia: FakeDiia) -> None:
    with DiiaClient.from_settings(_settings(fake_diia)) as client:
        first = client.request_documents(
            request_id="r1",
            branch="ЦНАП-тест",
            offer="Документи",
            delivery_url="https://x/api/sharing/delivery",
        )
        again = client.request_documents(
            request_id="r2", branch="ЦНАП-тест", offer="Документи", delivery_url=None
        )
    assert first.deeplink == fake_diia.deeplink_for("r1")
    # Branch and offer are made once and found the second time.
    assert (again.branch_id, again.offer_id) == (first.branch_id, first.offer_id)
    assert fake_diia.calls.count("branch") == 1 and fake_diia.calls.count("offer") == 1
    assert [r["requestId"] for r in fake_diia.requests[-2:]] == ["r1", "r2"]
    assert fake_diia.branches[first.branch_id]["scopes"]["sharing"][0] == "internal-passport"


def test_expired_session_is_renewed_once(fake_diia: FakeDiia) -> None:
    with DiiaClient.from_settings(_settings(fake_diia)) as client:
        client.session_token()
        fake_diia.expire_next_session = True
        link = client.request_documents(
            request_id="r3", branch="ЦНАП-тест", offer="Документи", delivery_url=None
        )
    assert link.deeplink.endswith("/r3")


def test_wrong_token(fake_diia: FakeDiia) -> None:
    with (
        DiiaClient.from_settings(_settings(fake_diia, "wrong")) as client,
        pytest.raises(DiiaUnavailable) as err,
    ):
        client.session_token()
    assert err.value.code == "diia_refused"
    assert "wrong" not in err.value.reason


def test_unreachable() -> None:
    s = SharingSettings(
        diia_base_url="http://127.0.0.1:9", acquirer_token=SecretStr("t"), timeout_seconds=2
    )
    with DiiaClient.from_settings(s) as client, pytest.raises(DiiaUnavailable) as err:
        client.session_token()
    assert err.value.code == "diia_unavailable"


def test_not_configured() -> None:
    with pytest.raises(DiiaUnavailable) as err:
        DiiaClient.from_settings(SharingSettings())
    assert err.value.code == "not_configured"
