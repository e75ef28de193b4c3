"""All configuration in one place: one Settings object, a nested model per subsystem.

Every backend is chosen by a URL (``CNAP_DATABASE_URL``, ``CNAP_STORAGE_URL``,
``CNAP_INDEX_URL``, ``CNAP_BROKER_URL``); unset URLs fall back to the embedded
defaults under the data directory, so a clean checkout needs no server.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class IngestSettings(BaseModel):
    """Limits and OCR options of the ingest pipeline."""

    max_file_mb: float = 512.0
    max_pages: int = 1000
    # Larger images are refused before decoding (decompression bombs).
    max_image_mpixels: float = 250.0
    languages: str = "ukr+eng"
    # Documents processed at once; 0 means one per CPU core.
    workers: int = 0
    page_timeout: float = 300.0
    # A worker that died holding a document gives it up after this many seconds.
    lease_seconds: float = 1800.0
    max_attempts: int = 3


class RetentionSettings(BaseModel):
    """Default retention periods (filled in by the retention rules)."""

    uncollected_result_months: int = 3


class SecuritySettings(BaseModel):
    """Authentication, tokens, the local console operator and optional OpenID Connect."""

    # Keys the HMAC of identifiers (findings, audit) and signs OIDC state; unset:
    # a random key kept in ``<data_dir>/secret.key``. Set it on every server
    # when several share one database.
    secret_key: SecretStr | None = None
    token_minutes: int = 480
    # The OS account running the command line on the server (``local:<name>``)
    # acts in this role; ``local_centre`` unset means every centre.
    local_role: str = "administrator"
    local_centre: str | None = None
    # Break-glass access needs a reason at least this long.
    break_glass_min_reason: int = 10
    # OpenID Connect (authorization-code flow); off while ``oidc_issuer`` is unset.
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    oidc_redirect_uri: str | None = None
    oidc_scopes: str = "openid profile"
    # Claim naming the archive user (matched against ``users.oidc_subject``, then the login).
    oidc_login_claim: str = "preferred_username"


class AuditSettings(BaseModel):
    """The tamper-evident access log."""

    # Entries are kept until 31 December of the entry's year plus this many years.
    retention_years: int = 1
    # How often the server seals the chain head into the archival tier.
    seal_minutes: float = 60.0


class Settings(BaseSettings):
    """cnap-archive settings, from ``CNAP_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="CNAP_", env_nested_delimiter="__", extra="ignore")

    data_dir: Path = Field(default_factory=lambda: Path("cnap-data"))
    database_url: str | None = None
    storage_url: str | None = None
    index_url: str | None = None
    broker_url: str | None = None
    centre: str = "ЦНАП"
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    security: SecuritySettings = Field(default_factory=SecuritySettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)

    def model_post_init(self, __context: object) -> None:
        self.data_dir = self.data_dir.expanduser().absolute()

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'archive.sqlite3'}"

    @property
    def resolved_storage_url(self) -> str:
        return self.storage_url or f"file://{self.data_dir / 'store'}"

    @property
    def resolved_index_url(self) -> str:
        return self.index_url or f"tantivy://{self.data_dir / 'index'}"

    @property
    def work_dir(self) -> Path:
        return self.data_dir / "work"

    @property
    def worker_count(self) -> int:
        return self.ingest.workers or (os.cpu_count() or 1)


def load_settings(data_dir: Path | None = None) -> Settings:
    """Settings from the environment, with an explicit data directory taking precedence."""
    if data_dir is not None:
        return Settings(data_dir=data_dir)
    return Settings()
