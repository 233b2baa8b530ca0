"""Settings: the only module that reads the environment.

Read once at start-up (`Settings.from_env()`), then passed down. Dev defaults let
`make run` work on a fresh machine with nothing else running; production refuses to
start without the secrets it must not invent.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

Env = Literal["dev", "prod"]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class SettingsError(Exception):
    """The environment does not describe a runnable service."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str | None
    rules_path: Path
    env: Env
    jwt_secret: str | None
    jwt_public_key: str | None
    jwt_issuer: str | None
    jwt_audience: str | None
    data_key: str | None
    var_dir: Path
    # HCP_DATA_KEY_FILE: the key ring kept in a file (mode 0600, a systemd credential)
    # rather than in the environment; server.secrets reads it. One of the two, not both.
    data_key_file: Path | None = None
    # Where HCP_JWT_PUBLIC_KEY was read from when it named a file (`hcp doctor` checks who
    # may write it); None when the PEM was given inline.
    jwt_public_key_file: Path | None = None
    cors_origins: tuple[str, ...] = field(default=())
    rules_poll_seconds: float = 2.0
    # HCP_PAD_DAYS: how long an evaluator pad's device credential lasts; hall staff revoke
    # one at once in the console (评价器配对), so it may last long.
    pad_days: float = 365.0
    pad_rating_minutes: float = 30.0
    sms_gateway_url: str | None = None
    sms_gateway_token: str | None = None
    sms_inbound_secret: str | None = None
    # Where citizens reach the service (QR codes, SMS links). None: the address actually
    # served (`hcp serve` passes its own down; a request's own base URL for pages).
    public_url: str | None = None
    # The address `hcp serve` listens on, handed to its worker processes (HCP_SERVED_URL is
    # set by `hcp serve` itself, not by operators): the public address when none is set.
    served_url: str | None = None
    # The platform's real-name login entry the citizen pages send people to; None in dev
    # means the mock platform's page.
    login_url: str | None = None
    # The deadline sweep: "serve" runs it inside `hcp serve` (one leader across every
    # process), "worker" leaves it to `hcp worker`. Interval between passes, in seconds.
    sweep_mode: Literal["serve", "worker"] = "serve"
    sweep_interval_seconds: float = 60.0
    jwt_jwks: str | None = None
    jwt_jwks_refresh_seconds: float = 30.0
    log_format: Literal["text", "json"] = "text"
    # Redis is a helper (shared counts, events between workers): no request may wait on it
    # longer than this, and one found unreachable is left alone for redis_retry_seconds.
    redis_timeout_seconds: float = 0.5
    redis_retry_seconds: float = 2.0
    trusted_proxies: tuple[Network, ...] = ()
    # How long the public page's answers are kept in each process (and may be kept by
    # browsers and proxies); 0 computes every request (the benchmark's uncached side).
    public_cache_seconds: float = 300.0
    # HCP_LANG: the language of messages for policy staff (rules problems, scenario results)
    # in the API and the `hcp rules` commands: "zh" (default) or "en".
    lang: Literal["zh", "en"] = "zh"

    @property
    def is_prod(self) -> bool:
        return self.env == "prod"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        settings = cls.read_env(environ)
        settings.check()
        return settings

    @classmethod
    def read_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings as configured, runnable or not (`hcp doctor` lists what is wrong);
        SettingsError only for a value that cannot be read at all."""
        env_map = os.environ if environ is None else environ
        public_key = env_map.get("HCP_JWT_PUBLIC_KEY") or None
        var_dir = Path(env_map.get("HCP_VAR_DIR", "var"))
        env = env_map.get("HCP_ENV", "dev")
        if env not in ("dev", "prod"):
            raise SettingsError(f"HCP_ENV must be 'dev' or 'prod', not {env!r}")
        return cls(
            database_url=env_map.get("HCP_DATABASE_URL") or f"sqlite://{var_dir}/hcp.sqlite3",
            redis_url=env_map.get("HCP_REDIS_URL") or None,
            rules_path=Path(env_map.get("HCP_RULES", "rules.yaml")),
            env=env,  # type: ignore[arg-type]
            jwt_secret=env_map.get("HCP_JWT_SECRET") or None,
            jwt_public_key=_pem_or_file(public_key),
            jwt_public_key_file=_file_named(public_key),
            jwt_jwks=_jwks_source(env_map.get("HCP_JWT_JWKS")),
            jwt_jwks_refresh_seconds=float(
                env_map.get("HCP_JWT_JWKS_REFRESH_SECONDS") or cls.jwt_jwks_refresh_seconds
            ),
            log_format=env_map.get("HCP_LOG_FORMAT") or cls.log_format,  # type: ignore[arg-type]
            redis_timeout_seconds=float(
                env_map.get("HCP_REDIS_TIMEOUT_SECONDS") or cls.redis_timeout_seconds
            ),
            redis_retry_seconds=float(
                env_map.get("HCP_REDIS_RETRY_SECONDS") or cls.redis_retry_seconds
            ),
            jwt_issuer=env_map.get("HCP_JWT_ISSUER") or None,
            jwt_audience=env_map.get("HCP_JWT_AUDIENCE") or None,
            data_key=env_map.get("HCP_DATA_KEY") or None,
            data_key_file=Path(env_map["HCP_DATA_KEY_FILE"])
            if env_map.get("HCP_DATA_KEY_FILE")
            else None,
            var_dir=var_dir,
            rules_poll_seconds=float(
                env_map.get("HCP_RULES_POLL_SECONDS") or cls.rules_poll_seconds
            ),
            pad_days=float(env_map.get("HCP_PAD_DAYS") or cls.pad_days),
            pad_rating_minutes=float(
                env_map.get("HCP_PAD_RATING_MINUTES") or cls.pad_rating_minutes
            ),
            sms_gateway_url=env_map.get("HCP_SMS_GATEWAY_URL") or None,
            sms_gateway_token=env_map.get("HCP_SMS_GATEWAY_TOKEN") or None,
            sms_inbound_secret=env_map.get("HCP_SMS_INBOUND_SECRET") or None,
            public_url=(env_map.get("HCP_PUBLIC_URL") or "").strip().rstrip("/") or None,
            served_url=(env_map.get("HCP_SERVED_URL") or "").strip().rstrip("/") or None,
            login_url=(env_map.get("HCP_LOGIN_URL") or "").strip() or None,
            sweep_mode=env_map.get("HCP_SWEEP") or cls.sweep_mode,  # type: ignore[arg-type]
            sweep_interval_seconds=float(
                env_map.get("HCP_SWEEP_INTERVAL_SECONDS") or cls.sweep_interval_seconds
            ),
            cors_origins=tuple(
                o.strip() for o in env_map.get("HCP_CORS_ORIGINS", "").split(",") if o.strip()
            ),
            trusted_proxies=_networks(env_map.get("HCP_TRUSTED_PROXIES", "")),
            public_cache_seconds=float(
                env_map.get("HCP_PUBLIC_CACHE_SECONDS") or cls.public_cache_seconds
            ),
            lang=_lang(env_map.get("HCP_LANG") or "zh"),
        )

    @property
    def public_base_url(self) -> str:
        """Where citizens reach the service: HCP_PUBLIC_URL, else the address served, else
        (a CLI run outside `hcp serve`) the default `make run` address."""
        return self.public_url or self.served_url or "http://127.0.0.1:8000"

    def check(self) -> None:
        """Refuse to start on the first of problems()."""
        found = self.problems()
        if found:
            raise SettingsError(found[0])

    def problems(self) -> list[str]:
        """Every reason this configuration cannot run, in the order check() meets them."""
        found = self._any_env_problems()
        if self.is_prod:
            found += self._prod_problems()
        return found

    def _any_env_problems(self) -> list[str]:
        found = []
        if self.sweep_mode not in ("serve", "worker"):
            found.append(f"HCP_SWEEP must be 'serve' or 'worker', not {self.sweep_mode!r}")
        if not self.sweep_interval_seconds > 0:
            found.append("HCP_SWEEP_INTERVAL_SECONDS must be more than 0")
        if not self.pad_days > 0:
            found.append("HCP_PAD_DAYS must be more than 0 (a pad is revoked on the console)")
        if not 0 <= self.public_cache_seconds <= 86400:
            found.append("HCP_PUBLIC_CACHE_SECONDS must be between 0 and 86400 (a day)")
        if self.log_format not in ("text", "json"):
            found.append(f"HCP_LOG_FORMAT must be 'text' or 'json', not {self.log_format!r}")
        if self.jwt_public_key and self.jwt_jwks:
            found.append(
                "set one of HCP_JWT_PUBLIC_KEY and HCP_JWT_JWKS, not both: "
                "the identity provider's keys come from one place"
            )
        if self.data_key and self.data_key_file:
            found.append(
                "set one of HCP_DATA_KEY and HCP_DATA_KEY_FILE, not both: "
                "the data key ring comes from one place"
            )
        if self.data_key_file and not _readable_file(self.data_key_file):
            found.append(
                f"HCP_DATA_KEY_FILE names {self.data_key_file}, which is not a file this "
                "user can read"
            )
        for name, url in (("HCP_LOGIN_URL", self.login_url), ("HCP_PUBLIC_URL", self.public_url)):
            if url and not _web_address(url, path_ok=name == "HCP_LOGIN_URL"):
                found.append(
                    f"{name} must be an http:// or https:// address"
                    + (" (or a path on this service, /…)" if name == "HCP_LOGIN_URL" else "")
                    + f", not {url!r}"
                )
        return found

    def _prod_problems(self) -> list[str]:
        found = []
        if not (self.jwt_public_key or self.jwt_jwks):
            found.append(
                "HCP_ENV=prod needs the identity provider's keys: HCP_JWT_JWKS (its key set, "
                "an https:// URL or a file) or HCP_JWT_PUBLIC_KEY (one PEM public key)"
            )
        if self.jwt_secret:
            found.append("HCP_ENV=prod verifies RS256/ES256 only: unset HCP_JWT_SECRET")
        if self.jwt_jwks and _plain_http_off_host(self.jwt_jwks):
            found.append(
                "HCP_ENV=prod fetches HCP_JWT_JWKS over https:// (or from 127.0.0.1): whoever "
                "can change the key set in transit can sign tokens"
            )
        if not (self.data_key or self.data_key_file):
            found.append(
                "HCP_ENV=prod needs HCP_DATA_KEY_FILE (or HCP_DATA_KEY) to encrypt personal data"
            )
        if self.database_url.startswith("sqlite"):
            found.append("HCP_ENV=prod needs HCP_DATABASE_URL to point at PostgreSQL")
        return found


def _web_address(value: str, *, path_ok: bool) -> bool:
    if path_ok and value.startswith("/") and not value.startswith("//"):
        return True
    parts = urlsplit(value)
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def _plain_http_off_host(source: str) -> bool:
    parts = urlsplit(source)
    return parts.scheme.lower() == "http" and parts.hostname not in (
        "127.0.0.1",
        "localhost",
        "::1",
    )


def _jwks_source(value: str | None) -> str | None:
    """A JWKS URL or file path, read by the verifier at start-up (and again on rotation)."""
    if not value or not value.strip():
        return None
    scheme, found, _ = value.strip().partition("://")
    if found and scheme.lower() not in ("https", "http"):
        raise SettingsError(f"HCP_JWT_JWKS must be an https:// URL or a file path, not {scheme}:")
    return value.strip()


def _networks(value: str) -> tuple[Network, ...]:
    """HCP_TRUSTED_PROXIES: addresses and CIDR networks, IPv4 or IPv6, comma-separated."""
    networks = []
    for entry in (e.strip() for e in value.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry))
        except ValueError:
            raise SettingsError(
                f"HCP_TRUSTED_PROXIES: {entry!r} is not an IP address or a network such as "
                "10.0.0.0/8 (host bits of a network must be zero)"
            ) from None
    return tuple(networks)


def _readable_file(path: Path) -> bool:
    return path.is_file() and os.access(path, os.R_OK)


def _file_named(value: str | None) -> Path | None:
    if not value or value.lstrip().startswith("-----BEGIN"):
        return None
    return Path(value)


def _pem_or_file(value: str | None) -> str | None:
    if not value:
        return None
    if value.lstrip().startswith("-----BEGIN"):
        return value
    return Path(value).read_text(encoding="ascii")


def _lang(value: str) -> Literal["zh", "en"]:
    if value not in ("zh", "en"):
        raise SettingsError(f"HCP_LANG must be 'zh' or 'en', not {value!r}")
    return value  # type: ignore[return-value]
