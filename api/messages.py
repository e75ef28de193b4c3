"""Ukrainian explanations of pydantic validation errors, shared by the HTTP API (422
problem details) and the command line (a wrong option value): the framework's English
messages never reach a person."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_MESSAGES: dict[str, str] = {
    "missing": "обов'язкове значення відсутнє",
    "int_parsing": "очікується ціле число",
    "int_type": "очікується ціле число",
    "int_from_float": "очікується ціле число",
    "float_parsing": "очікується число",
    "float_type": "очікується число",
    "bool_parsing": "очікується true або false",
    "bool_type": "очікується true або false",
    "string_type": "очікується рядок",
    "string_pattern_mismatch": "значення не відповідає формату",
    "enum": "значення не з переліку дозволених",
    "literal_error": "значення не з переліку дозволених",
    "date_parsing": "очікується дата у форматі РРРР-ММ-ДД",
    "date_from_datetime_parsing": "очікується дата у форматі РРРР-ММ-ДД",
    "date_from_datetime_inexact": "очікується дата у форматі РРРР-ММ-ДД",
    "date_type": "очікується дата у форматі РРРР-ММ-ДД",
    "datetime_parsing": "очікується дата й час (ISO 8601)",
    "datetime_from_date_parsing": "очікується дата й час (ISO 8601)",
    "datetime_type": "очікується дата й час (ISO 8601)",
    "timezone_aware": "час має містити часовий пояс",
    "json_invalid": "тіло запиту не є коректним JSON",
    "json_type": "тіло запиту не є коректним JSON",
    "model_type": "очікується об'єкт",
    "model_attributes_type": "очікується об'єкт",
    "dict_type": "очікується об'єкт",
    "list_type": "очікується список",
    "extra_forbidden": "невідоме поле",
    "uuid_parsing": "очікується UUID",
    "url_parsing": "очікується адреса URL",
    "path_type": "очікується шлях до файлу",
}
DEFAULT = "недопустиме значення"


def field_message(kind: str, ctx: Mapping[str, Any] | None = None) -> str:
    """One Ukrainian phrase for a pydantic error type (with its limits, where it has some)."""
    ctx = ctx or {}
    limits = {
        "greater_than": ("gt", "має бути більше за {}"),
        "greater_than_equal": ("ge", "має бути не менше {}"),
        "less_than": ("lt", "має бути менше за {}"),
        "less_than_equal": ("le", "має бути не більше {}"),
        "string_too_short": ("min_length", "занадто коротке (щонайменше {} символів)"),
        "string_too_long": ("max_length", "занадто довге (щонайбільше {} символів)"),
        "too_short": ("min_length", "замало елементів (щонайменше {})"),
        "too_long": ("max_length", "забагато елементів (щонайбільше {})"),
    }
    if kind in limits:
        key, text = limits[kind]
        if key in ctx:
            return "значення " + text.format(ctx[key])
        return "значення поза допустимими межами"
    return _MESSAGES.get(kind, DEFAULT)
