"""Typed settings read from the environment (and an optional `.env` file).

Every value is validated at start-up; a bad value stops the process with a
message that names the variable, so an operator never has to guess.
"""

from __future__ import annotations

import zoneinfo
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from manyi import config_auth, event_outbox, realtime, sealed
from manyi import config_rules as rules
from manyi.audit.keys import (
    DEVELOPMENT_AUDIT_KEY,
    MIN_KEY_LENGTH,
    SESSION_INFO_KEY,
    AuditKeys,
    keys_from_settings,
)
from manyi.config_rules import DEVELOPMENT_SECRET_KEY as DEVELOPMENT_SECRET_KEY

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_VAR_DIR = PROJECT_ROOT / "var"
_WECHAT_API = "https://api.weixin.qq.com"


class SettingsError(RuntimeError):
    """Raised when the environment holds an invalid setting."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MANYI_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
    )

    env: Literal["development", "production"] = "development"
    database_url: str = ""
    secret_key: str = DEVELOPMENT_SECRET_KEY
    timezone: str = "Asia/Shanghai"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    # Web processes serving this database (`manyi serve --workers N` sets it for its children):
    # on SQLite, more than one makes each watch for the others' commits (manyi.realtime).
    web_workers: int = Field(default=1, ge=1, le=64)
    # On stop (`manyi serve`), how long open connections may finish before they are cut. Boards'
    # and consoles' event streams never end by themselves, so without a limit a restart with
    # screens connected would wait for ever; they reconnect to the new process on their own.
    shutdown_grace_s: int = Field(default=5, ge=1, le=600)
    # Threads per web process that run the devices' units of work (kiosks, calling pads,
    # screens: web.security.in_unit_of_work). Python runs one thread at a time, so a few that
    # overlap their database waits serve as many requests as forty, without forty queueing for
    # the interpreter while one holds the day's ticket number (issue 22, docs/lobby.md).
    unit_of_work_threads: int = Field(default=4, ge=1, le=64)
    # On PostgreSQL, a device's ticket, call-next and complete (the device lane) run on the
    # event loop's own thread, without the hop to a unit-of-work thread, bounded by waits of at
    # most a few seconds (`hot_lanes`, issue 22). Off: they take the hop, as on SQLite.
    device_lane_inline: bool = True
    var_dir: Path = DEFAULT_VAR_DIR
    # Sign-in protection.
    lockout_threshold: int = Field(default=5, ge=1, le=100)
    lockout_minutes: int = Field(default=15, ge=1, le=24 * 60)
    session_hours: int = Field(default=12, ge=1, le=24 * 7)
    cookie_secure: bool | None = None
    # How staff sign in (manyi.config_auth, docs/operations.md section 7): manyi's own passwords,
    # the bank's LDAP / Active Directory, or its identity platform by OpenID Connect (manyi keeps
    # no password for those accounts; only the usernames in MANYI_LDAP_LOCAL_ADMINS or
    # MANYI_OIDC_LOCAL_ADMINS keep a local one, for when the directory or platform is down).
    auth: Literal["local", "ldap", "oidc"] = "local"
    ldap_url: str = ""
    ldap_start_tls: bool = False
    ldap_ca_file: Path | None = None
    ldap_bind_dn: str = ""
    ldap_bind_password: SecretStr = Field(default=SecretStr(""))
    ldap_user_base: str = ""
    ldap_user_filter: str = "(uid={username})"
    ldap_group_base: str = ""
    ldap_nested_groups: bool = False
    ldap_display_name_attribute: str = "displayName"
    ldap_unit_attribute: str = "departmentNumber"
    ldap_role_map: str = ""
    ldap_local_admins: str = ""
    ldap_timeout_s: float = Field(default=5.0, gt=0, le=60)
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: SecretStr = Field(default=SecretStr(""))
    oidc_username_claim: str = "preferred_username"
    oidc_name_claim: str = "name"
    oidc_groups_claim: str = "groups"
    oidc_unit_claim: str = "unit"
    oidc_role_map: str = ""
    oidc_local_admins: str = ""
    # The paperless counter: its adapters (manyi.counter.adapters.registry.FACTORIES), and how
    # long a remote supervisor may hold an authorisation request before the worker releases it.
    counter_adapters: str = "simulated"
    counter_claim_minutes: int = Field(default=10, ge=1, le=24 * 60)
    # Production refuses the simulated core and devices unless a pilot says so explicitly.
    counter_allow_simulated: bool = False
    # How long a closed complaint keeps its personal data (`manyi complaints purge`): the
    # regulation asks for three years at least.
    complaint_retention_days: int = Field(default=1826, ge=1096, le=36500)
    # The analytics store's root (docs/analytics.md): a directory, or any fsspec URL such as
    # s3://bucket/manyi; empty: <MANYI_VAR_DIR>/analytics.
    analytics_root: str = ""
    # Months of lobby events PostgreSQL keeps in its monthly partitions; older ones are exported
    # to the analytics store and dropped (`manyi cockpit archive`, the worker's partition job).
    event_retention_months: int = Field(default=24, ge=1, le=1200)
    # How long a survey invitation's link can be answered (quality.surveys), in days.
    survey_expiry_days: int = Field(default=7, ge=1, le=90)
    # Teller workload (manyi.workload): a pause of at least this many minutes is a break; a
    # teller past the stretch without a break, or serving at least this share of the last hour,
    # gets an overload alert; break advice keeps the predicted service level at the target.
    workload_break_min: int = Field(default=10, ge=1, le=120)
    workload_max_stretch_min: int = Field(default=120, ge=15, le=12 * 60)
    workload_max_busy_share: float = Field(default=0.9, gt=0, le=1)
    workload_service_level: float = Field(default=0.8, gt=0, le=1)
    # The cockpit's targets (docs/cockpit.md): mean wait, the wait the service level counts
    # within (changing it rebuilds the roll-ups), the service level, abandonment, and how many
    # days past target in a row raise an alert.
    cockpit_target_wait_s: int = Field(default=900, ge=60, le=4 * 3600)
    cockpit_service_level_s: int = Field(default=900, ge=60, le=4 * 3600)
    cockpit_target_service_level: float = Field(default=0.80, gt=0, le=1)
    cockpit_target_abandonment: float = Field(default=0.10, ge=0, le=1)
    cockpit_alert_days: int = Field(default=3, ge=1, le=60)
    # The audit chain: the key that seals every event (HMAC-SHA-256), retired keys that still
    # verify older events (comma-separated), and where the worker anchors the chain's head.
    audit_key: str = DEVELOPMENT_AUDIT_KEY
    audit_retired_keys: str = ""
    audit_anchor_dir: Path | None = None
    audit_anchor_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60)
    # Personal data at rest (manyi.sealed): the AES-256-GCM key that seals names, phone and ID
    # numbers and form values (`[id:]base64-or-hex`, 32 bytes), retired keys that still open
    # older values (comma-separated), and the pepper of the keyed blind indexes.
    data_key: str = sealed.DEVELOPMENT_DATA_KEY
    data_retired_keys: str = ""
    blind_index_pepper: str = sealed.DEVELOPMENT_BLIND_INDEX_PEPPER
    # Where a customer's phone reaches manyi's public pages (the pre-fill), e.g.
    # https://manyi.example-bank.cn: what the lobby poster's QR code holds. Empty: no poster.
    public_base_url: str = ""
    # The bank's reverse proxies (addresses or networks, comma-separated): only requests from
    # them may name the client in X-Forwarded-For (manyi.web.proxies).
    trusted_proxies: str = ""
    # PIN entries a customer gets in one visit at the counter before the item fails (the core
    # locks the card at its own limit, see manyi.counter.adapters.core).
    counter_pin_tries: int = Field(default=3, ge=1, le=9)
    # Customer reach: the gateways customer messages leave by (manyi.reach.adapters.registry;
    # docs/reach.md says how to connect them). SMS: the simulation, the bank's SMS centre over
    # SMPP 3.4 (one transceiver bind; SMPP 3.4 caps the bind fields' lengths), or none.
    reach_sms: Literal["simulated", "smpp", "off"] = "simulated"
    reach_smpp_host: str = ""
    reach_smpp_port: int = Field(default=2775, ge=1, le=65535)
    reach_smpp_system_id: str = Field(default="", max_length=15)
    reach_smpp_password: SecretStr = Field(default=SecretStr(""))
    reach_smpp_system_type: str = Field(default="", max_length=12)
    reach_smpp_source_addr: str = Field(default="", max_length=20)  # the bank's service number
    reach_smpp_timeout_s: float = Field(default=10.0, gt=0, le=120)
    # WeChat: none, the simulation, or the official account's template messages over HTTPS;
    # the templates are a JSON object {kind: {"template_id": ..., "fields": {field: param}}}.
    reach_wechat: Literal["off", "simulated", "http"] = "off"
    reach_wechat_appid: str = ""
    reach_wechat_secret: SecretStr = Field(default=SecretStr(""))
    reach_wechat_api_base: str = _WECHAT_API
    reach_wechat_templates: str = ""
    # The token typed in the account's server configuration (基本配置 → 服务器配置 → Token): WeChat
    # signs every push to /reach/wechat/callback with it. Empty: pushes are refused (403).
    reach_wechat_token: SecretStr = Field(default=SecretStr(""))
    # The event stream (manyi.stream, docs/stream.md): `nats` writes every committed lobby,
    # complaint, counter and quality event to an outbox that the worker publishes to NATS
    # JetStream; `off` writes nothing more. Live screens fan out through PostgreSQL NOTIFY (or
    # SQLite's own watch) by default, or through NATS core subjects across many app hosts.
    stream: Literal["off", "nats"] = "off"
    nats_url: str = "nats://127.0.0.1:4222"
    realtime: Literal["notify", "nats"] = "notify"
    # Observability (manyi.observe, docs/operations.md, section 8): the log lines as text or one
    # JSON object each; who may read /metrics (addresses or networks, comma-separated; empty:
    # nobody); the business gauges per outlet, summed per tier-1 branch (a national bank's
    # 16,000 outlets are many series), or none; OpenTelemetry traces off, printed, or sent by
    # OTLP (the optional `tracing` extra; OTEL_* variables say where).
    log_format: Literal["text", "json"] = "text"
    metrics_allow: str = "127.0.0.1/32,::1/128"
    metrics_gauges: Literal["outlet", "tier1", "off"] = "outlet"
    tracing: Literal["off", "console", "otlp"] = "off"

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name such as Asia/Shanghai)"
            ) from exc
        return value

    @field_validator("data_key")
    @classmethod
    def _data_key(cls, value: str) -> str:
        sealed.parse_key(value)  # ValueError says what a key looks like
        return value

    @field_validator("data_retired_keys")
    @classmethod
    def _retired_data_keys(cls, value: str) -> str:
        for key in value.split(","):
            if key.strip():
                sealed.parse_key(key)
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_networks(cls, value: str) -> str:
        from manyi.web.proxies import parse_networks

        parse_networks(value)  # ValueError names the bad entry
        return value

    @field_validator("log_format", "metrics_gauges", "tracing", mode="before")
    @classmethod
    def _lower_choice(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("metrics_allow")
    @classmethod
    def _metrics_networks(cls, value: str) -> str:
        from manyi.web.proxies import parse_networks

        for network in parse_networks(value):  # ValueError names the bad entry
            if network.prefixlen == 0:
                raise ValueError(f"{network} lets anyone read /metrics: name the monitoring hosts")
        return value

    @field_validator("counter_adapters")
    @classmethod
    def _known_adapters(cls, value: str) -> str:
        from manyi.counter.adapters.registry import (
            FACTORIES,  # the counter's modules load only here
        )

        if value not in FACTORIES:
            known = ", ".join(sorted(FACTORIES))
            raise ValueError(f"unknown counter adapters {value!r} (known: {known})")
        return value

    @field_validator("public_base_url")
    @classmethod
    def _reachable_public_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value:
            return ""
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                f"{value!r} is not a web address (use one such as https://manyi.example-bank.cn)"
            )
        if parts.query or parts.fragment or parts.username:
            raise ValueError(f"{value!r} must be a plain address, without ?query, #part or user")
        if rules.loopback(parts.hostname):
            raise ValueError(f"{value!r} is this machine's own address: a phone cannot open it")
        return value

    @field_validator("reach_smpp_password")
    @classmethod
    def _smpp_password_fits(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) > 8:
            raise ValueError("SMPP 3.4 passwords have at most 8 characters")
        return value

    @field_validator("reach_wechat_token")
    @classmethod
    def _wechat_token_shape(cls, value: SecretStr) -> SecretStr:
        token = value.get_secret_value()
        if token and not (3 <= len(token) <= 32 and token.isascii() and token.isalnum()):
            raise ValueError("a WeChat server token is 3 to 32 letters and digits")
        return value

    @field_validator("reach_wechat_api_base")
    @classmethod
    def _web_api_base(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if urlsplit(value).scheme not in ("http", "https") or not urlsplit(value).hostname:
            raise ValueError(f"{value!r} is not a web address (the default is {_WECHAT_API})")
        return value

    @field_validator("reach_wechat_templates")
    @classmethod
    def _wechat_templates(cls, value: str) -> str:
        rules.template_map(value)  # ValueError says what is wrong where
        return value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        if value and not value.startswith(("sqlite", "postgresql")):
            raise ValueError("only sqlite:/// and postgresql+psycopg:// URLs are supported")
        return value

    @model_validator(mode="after")
    def _production_rules(self) -> Settings:
        if self.env == "production":
            if not self.secret_key or self.secret_key == DEVELOPMENT_SECRET_KEY:
                raise ValueError("MANYI_SECRET_KEY must be set to a private value in production")
            if len(self.secret_key) < 32:
                raise ValueError("MANYI_SECRET_KEY must be at least 32 characters in production")
            if self.counter_adapters == "simulated" and not self.counter_allow_simulated:
                raise ValueError(
                    "MANYI_COUNTER_ADAPTERS: the simulated core and devices are refused in"
                    " production (a pilot sets MANYI_COUNTER_ALLOW_SIMULATED=true)"
                )
            if not self.audit_key or self.audit_key == DEVELOPMENT_AUDIT_KEY:
                raise ValueError("MANYI_AUDIT_KEY must be set to a private value in production")
            if len(self.audit_key) < MIN_KEY_LENGTH or len(set(self.audit_key)) < 10:
                raise ValueError(
                    f"MANYI_AUDIT_KEY must be at least {MIN_KEY_LENGTH} characters and not"
                    " repetitive in production (e.g. `python -c 'import secrets;"
                    " print(secrets.token_urlsafe(48))'`)"
                )
            rules.refuse_weak_data_keys(self.data_key, self.blind_index_pepper)
        try:
            self.data_keys  # noqa: B018 (two different keys with one id are refused here)
        except ValueError as exc:
            raise ValueError(f"MANYI_DATA_RETIRED_KEYS: {exc}") from None
        rules.refuse_development_secret_off_loopback(self.secret_key, self.host)
        rules.require_reach_settings(self)
        config_auth.check_auth_settings(self)
        if not self.database_url:
            self.database_url = f"sqlite:///{self.var_dir / 'manyi.sqlite3'}"
        if not self.analytics_root.strip():
            self.analytics_root = str(self.var_dir / "analytics")
        if self.database_url.startswith("postgresql://"):
            # psycopg 3 is the driver we ship; accept the plain scheme operators type.
            self.database_url = "postgresql+psycopg://" + self.database_url[len("postgresql://") :]
        return self

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def secure_cookies(self) -> bool:
        return self.is_production if self.cookie_secure is None else self.cookie_secure

    @property
    def audit_keys(self) -> AuditKeys:
        return keys_from_settings(self.audit_key, self.audit_retired_keys)

    @property
    def data_keys(self) -> sealed.DataKeys:
        return sealed.keys_from_settings(
            self.data_key, self.data_retired_keys, self.blind_index_pepper
        )

    @property
    def demo_mode(self) -> bool:
        """Shortcuts for trying manyi out (the simulated reader reading the form's own card)."""
        return not self.is_production

    @property
    def session_info(self) -> dict[str, object]:
        """What every database session carries (`Database(url, settings.session_info)`)."""
        info: dict[str, object] = {
            SESSION_INFO_KEY: self.audit_keys,
            sealed.SESSION_INFO_KEY: self.data_keys,
        }
        if self.stream == "nats":
            info[event_outbox.SESSION_KEY] = True
        if self.realtime == "nats":
            info[realtime.BACKEND_KEY] = {"backend": "nats", "url": self.nats_url}
        return info

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def reach_wechat_template_map(self) -> dict[str, dict[str, object]]:
        """MANYI_REACH_WECHAT_TEMPLATES read: {kind: {"template_id": str, "fields": {..}}}."""
        return rules.template_map(self.reach_wechat_templates)


def _describe(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"]) if item["loc"] else ""
        name = f"MANYI_{field.upper()}" if field else "settings"
        message = str(item["msg"]).removeprefix("Value error, ")
        if not field and "MANYI_" in message:
            lines.append(message)
        else:
            lines.append(f"{name}: {message}")
    return "invalid configuration: " + "; ".join(lines)


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment, raising `SettingsError` on bad values."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from exc


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
