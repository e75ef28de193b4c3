"""The application log's safety net: identifiers that arrive encoded are masked too."""

from __future__ import annotations

import logging

from api.logs import ScrubFilter, scrub

PHONE = "+380671234567"
RNOKPP = "3184710691"


def _record(name: str, msg: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord(name, logging.INFO, __file__, 1, msg, args, None)


def test_an_http_clients_request_line_loses_its_query_string() -> None:
    record = _record(
        "httpx",
        'HTTP Request: %s %s "%s"',
        "GET",
        "http://127.0.0.1:8000/api/documents/abc?reason=%D0%B4%D0%B7%D0%B2+%2B380671234567",
        "HTTP/1.1 200 OK",
    )
    assert ScrubFilter().filter(record)
    message = record.getMessage()
    assert "380671234567" not in message and "%2B" not in message
    assert "http://127.0.0.1:8000/api/documents/abc?…" in message
    assert "200 OK" in message


def test_percent_encoded_identifiers_are_decoded_and_masked() -> None:
    encoded = "path /api/cases/%2B380671234567 and %33184710691"
    clean = scrub(encoded)
    assert PHONE not in clean and RNOKPP not in clean and "380671234567" not in clean


def test_a_plain_message_is_left_as_it_is() -> None:
    assert scrub("документ 659f9e3c збережено за 0.4 с") == "документ 659f9e3c збережено за 0.4 с"


def _access(path: str, client: str = "127.0.0.1:53214") -> logging.LogRecord:
    return logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        (client, "GET", path, "1.1", 200), None,
    )  # fmt: skip


def test_an_access_line_is_scrubbed_part_by_part() -> None:
    lines = []
    for path in (
        "/api/search?q=%2B380671234567&limit=10",
        "/api/documents/3012345678/content",
        "/api/x/ivan.petrenko%40gmail.com",
        "/api/search/identifier?value=UA213223130000026007233566001",
    ):
        for _ in range(2):  # the second time from the cache of parts
            record = _access(path)
            assert ScrubFilter().filter(record)
            lines.append(record.getMessage())
    text = "\n".join(lines)
    for secret in ("380671234567", "3012345678", "petrenko", "gmail", "UA2132", "%40"):
        assert secret not in text, secret
    assert lines[0] == '127.0.0.1:53214 - "GET /api/search?… HTTP/1.1" 200'
    assert lines[2] == lines[3] and "/api/documents/" in lines[2]
