"""All configuration in one place: one Settings object, a nested model per subsystem.

Every backend is chosen by a URL (``CNAP_DATABASE_URL``, ``CNAP_STORAGE_URL``,
``CNAP_INDEX_URL``, ``CNAP_BROKER_URL``); unset URLs fall back to the embedded
defaults under the data directory, so a clean checkout needs no server.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, SecretStr, field_validator
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
    # Born-digital PDFs become PDF/A by pikepdf's repairs alone; True also re-reads and
    # validates every rendition (about three times slower; docs/pipeline.md).
    verify_pdfa: bool = False


class ServerSettings(BaseModel):
    """The HTTP server (``cnap-archive serve``)."""

    # Worker processes; 0 means one per CPU core. With the embedded index one
    # of them writes it and the others search it read-only (docs/performance.md).
    workers: int = 0
    # Seconds a kept-alive connection lives before its client is asked to connect
    # again (0: for ever), so that the workers share the clients evenly.
    keepalive_seconds: float = 2.0
    # Searches a worker process runs at once, the rest waiting in turn; 0 means by
    # the index: one with the embedded index, whose search holds the processor
    # (threads only take the interpreter lock from each other, and the unlucky
    # search waits behind all), no limit with Elasticsearch, whose searches wait
    # on the network (docs/performance.md).
    searches_per_worker: int = 0
    # One line per HTTP request in the application log (address, method, path; the
    # query string dropped). Off by default: every access to personal data is in the
    # access log already, and a proxy in front logs requests (data minimisation).
    access_log: bool = False

    @property
    def worker_count(self) -> int:
        return self.workers or (os.cpu_count() or 1)

    def search_slots(self, embedded_index: bool) -> int | None:
        """Searches at once in one worker (None: no limit of their own)."""
        if self.searches_per_worker > 0:
            return self.searches_per_worker
        return 1 if embedded_index else None


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
    # A person the identity provider vouches for whose subject (issuer + sub) no
    # account is bound to: "deny" (no access, the default) or "create" (a new
    # account with no role's reach: an official of no department, pending approval).
    oidc_unknown_subject: Literal["deny", "create"] = "deny"
    # Failed sign-ins: after ``login_slow_after`` failures of one account (within
    # ``login_window_minutes``) each further try waits twice as long as the one
    # before; after ``login_lock_after`` the account is locked for
    # ``login_lock_minutes``. An address (a centre behind one NAT) gets
    # ``address_factor`` times the allowance.
    login_slow_after: int = Field(default=3, ge=1)
    login_lock_after: int = Field(default=10, ge=1)
    login_lock_minutes: float = Field(default=15.0, gt=0)
    login_window_minutes: float = Field(default=15.0, gt=0)
    address_factor: int = Field(default=3, ge=1)
    # Whom a DPO answers for: "centre" (one DPO per centre: their own centre's
    # documents) or "region" (one DPO for every centre of the archive).
    dpo_scope: Literal["centre", "region"] = "centre"


class AuditSettings(BaseModel):
    """The tamper-evident access log."""

    # Entries are kept until 31 December of the entry's year plus this many years.
    retention_years: int = 1
    # How often the server seals the chain head into the archival tier.
    seal_minutes: float = 60.0
    # The secret the chain is keyed with (HMAC). Never stored in the database:
    # from CNAP_AUDIT__CHAIN_KEY, else read from ``chain_key_file`` (default
    # DATA_DIR/secrets/audit-chain.key, created 0600 on first use). Keep it
    # where the database administrator cannot read it (docs/security.md).
    chain_key: str | None = None
    chain_key_file: Path | None = None


class DeskSettings(BaseModel):
    """The front desk: the case journal, printed forms, batch scanning, hot folders, SANE."""

    # Case numbers of a centre's journal. Placeholders: {year}, {yy}, {seq}
    # (the counter, e.g. {seq:05d}) and {centre}; a year and {seq} are required,
    # because the counter restarts every year.
    number_format: str = "{year}/{seq:05d}"
    # Numbers from a block reserved in advance for a workplace (an offline
    # station); {workplace} is the workplace's short code, so blocks never
    # collide with the main journal or with each other.
    block_number_format: str = "{year}/{workplace}-{seq:04d}"
    # Numbers a station reserves at a time, and the size of the largest block.
    block_size: int = Field(default=200, ge=1)
    max_block_size: int = Field(default=5000, ge=1)
    # Dates on forms and the year of a case number are local to the centre.
    timezone: str = "Europe/Kyiv"
    # The centre as printed in the header of every form (CNAP_DESK__CENTRE_FULL_NAME, …):
    # its full official name (default: the short ``CNAP_CENTRE``), address, phone, code.
    centre_full_name: str | None = None
    centre_address: str | None = None
    centre_phone: str | None = None
    centre_code: str | None = None
    # Working days from registration to the expected result, printed on the inventory
    # (the service's information card may set another term; the administrator corrects it).
    result_working_days: int = Field(default=10, ge=1, le=365)
    # What the inventory lists when the administrator names no document.
    default_item: str = "Заява про надання адміністративної послуги"
    # Where printable forms go (default: <data_dir>/print).
    print_dir: Path | None = None
    # Keep each scanned batch as received besides its parts, so a page judged
    # blank by mistake can still be recovered.
    keep_batch_original: bool = True
    # Resolution at which PDF batches are rendered to find cover sheets.
    split_dpi: int = Field(default=200, ge=72, le=600)
    # Hot folder: a file is taken once its size and time stayed unchanged this long.
    hotfolder_settle_seconds: float = Field(default=5.0, ge=0.0)
    hotfolder_poll_seconds: float = Field(default=2.0, gt=0.0)
    # SANE scanning defaults (``cnap-archive scan``).
    scan_device: str | None = None
    scan_resolution: int = Field(default=300, ge=50, le=1200)
    scan_mode: str = "Gray"
    scan_timeout_seconds: float = Field(default=600.0, gt=0.0)

    @field_validator("number_format")
    @classmethod
    def _check_number_format(cls, value: str) -> str:
        return _check_format(value, block=False)

    @field_validator("block_number_format")
    @classmethod
    def _check_block_format(cls, value: str) -> str:
        return _check_format(value, block=True)


def _check_format(value: str, *, block: bool) -> str:
    if "{seq" not in value or ("{year" not in value and "{yy" not in value):
        raise ValueError("формат номера має містити {seq} і {year} або {yy}")
    if block and "{workplace" not in value:
        raise ValueError("формат номера з резерву має містити {workplace}")
    try:
        sample = value.format(year=2026, yy="26", seq=1, centre="ЦНАП", workplace="ВРМ1")
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(f"формат номера не застосовується: {exc}") from exc
    if "|" in sample or len(sample) > 64 or sample != sample.strip():
        raise ValueError("номер справи: до 64 символів, без «|» і пробілів на краях")
    return value


class StationSettings(BaseModel):
    """A station agent at a remote workplace: its spool and the central archive it feeds."""

    # The central archive's API (e.g. https://archive.example.gov.ua).
    server_url: str | None = None
    login: str | None = None
    password: SecretStr | None = None
    # Short code of the workplace, the prefix of its reserved case numbers.
    workplace_code: str | None = None
    # Local spool (default: <data_dir>/station).
    spool_dir: Path | None = None
    chunk_bytes: int = Field(default=1024 * 1024, ge=1024)
    timeout_seconds: float = Field(default=30.0, gt=0.0)
    retry_min_seconds: float = Field(default=1.0, gt=0.0)
    retry_max_seconds: float = Field(default=300.0, gt=0.0)
    # A new block of numbers is reserved when fewer than this many remain.
    reserve_below: int = Field(default=20, ge=0)
    poll_seconds: float = Field(default=5.0, gt=0.0)


class SharingSettings(BaseModel):
    """Documents shared from Diia (acquirer API) and the crypto provider that opens them."""

    # The acquirer API (Diia gives each acquirer a base URL and a token; unset: off).
    diia_base_url: str | None = None
    acquirer_token: SecretStr | None = None
    branch_name: str = "ЦНАП"
    offer_name: str = "Документи для справи ЦНАП"
    # Where Diia posts the documents (registered with Diia for the branch).
    delivery_url: str | None = None
    # A request id older than this is expired: its delivery is held for review.
    request_ttl_minutes: int = Field(default=24 * 60, ge=1)
    timeout_seconds: float = Field(default=30.0, gt=0.0)
    # ``standard`` (RSA/ECDSA CMS) or ``package.module:factory`` of a certified
    # DSTU 4145 library's adapter (docs/sharing.md).
    crypto_provider: str = "standard"
    key_file: Path | None = None
    key_password: SecretStr | None = None
    certificate_file: Path | None = None
    trusted_roots_file: Path | None = None
    max_delivery_mb: float = Field(default=50.0, gt=0.0)


class MailSettings(BaseModel):
    """E-mail intake (Diia.QR copies and plain e-mail) from an IMAP mailbox."""

    # imap://user:password@host:port/ or imaps://…; unset: off.
    imap_url: str | None = None
    mailbox: str = "INBOX"
    processed_folder: str = "Archived"
    held_folder: str = "Held"
    poll_seconds: float = Field(default=60.0, gt=0.0)
    max_attachment_mb: float = Field(default=30.0, gt=0.0)
    timeout_seconds: float = Field(default=30.0, gt=0.0)


class ScheduleSettings(BaseModel):
    """Periodic jobs: the embedded server runs them on its own timers; in scale-out
    the Celery worker started with ``--beat`` (or ``beat = true``) runs them.

    Sealing the access log follows ``audit.seal_minutes`` and reading the mailbox
    ``mail.poll_seconds`` (only when ``mail.imap_url`` is set).
    """

    # The daily retention round: what is due today, and a fixity sample.
    retention_hours: float = Field(default=24.0, gt=0.0)
    fixity_sample: int = Field(default=200, ge=0)
    # Retraining the document-type classifier, only when corrections came since the last model.
    retrain_hours: float = Field(default=24.0, gt=0.0)
    # The worker runs Celery beat itself (as ``cnap-archive worker --beat``); one worker only.
    beat: bool = False


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
    desk: DeskSettings = Field(default_factory=DeskSettings)
    station: StationSettings = Field(default_factory=StationSettings)
    sharing: SharingSettings = Field(default_factory=SharingSettings)
    mail: MailSettings = Field(default_factory=MailSettings)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)

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
    def embedded_index(self) -> bool:
        """Whether the index is the embedded one (Tantivy in the data directory's files)."""
        return urlsplit(self.resolved_index_url).scheme.lower() == "tantivy"

    @property
    def work_dir(self) -> Path:
        return self.data_dir / "work"

    @property
    def print_dir(self) -> Path:
        """Where printable desk forms are written."""
        return (self.desk.print_dir or self.data_dir / "print").expanduser().absolute()

    @property
    def spool_dir(self) -> Path:
        """The station agent's local spool."""
        return (self.station.spool_dir or self.data_dir / "station").expanduser().absolute()

    @property
    def worker_count(self) -> int:
        return self.ingest.workers or (os.cpu_count() or 1)


def load_settings(data_dir: Path | None = None) -> Settings:
    """Settings from the environment, with an explicit data directory taking precedence."""
    if data_dir is not None:
        return Settings(data_dir=data_dir)
    return Settings()
