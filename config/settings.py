"""One typed settings object, read from the environment once at start-up.

Everything that differs between a laptop demo and production (database, shared store,
Twilio credentials, the public URL Twilio signs against) is here and nowhere else.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, replace
from pathlib import Path

# Values that let a laptop demo run; a production deployment refuses to start with any of them.
DEV_TWILIO_AUTH_TOKEN = "dev-auth-token"  # noqa: S105 - a placeholder for local runs
DEV_CALLER_HASH_KEY = "dev-caller-hash-key"
MIN_SECRET_LENGTH = 16
SEARCH_ENGINES = ("memory", "postgres")
CALL_BRIDGES = ("conference", "queue")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "instance" / "helpline.sqlite3"
TWILIO_MAX_QUEUE_SIZE = 5000  # the Queue resource's max_size limit


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    return float(raw) if raw else default


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    return raw in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """Runtime configuration. Build with `Settings.from_env()`; tests use `replace()`."""

    database_url: str = f"sqlite:///{DEFAULT_SQLITE_PATH}"
    redis_url: str | None = None
    twilio_account_sid: str = "AC00000000000000000000000000000000"
    twilio_auth_token: str = DEV_TWILIO_AUTH_TOKEN
    twilio_from_number: str = "+16475550100"
    public_base_url: str = "http://127.0.0.1:5000"
    secret_key: str = ""  # unset: a random key per process, refused in production
    caller_hash_key: str = DEV_CALLER_HASH_KEY
    caller_hash_period_days: int = 30  # the pseudonym key rotates this often (config.pseudonym)
    caller_hash_retention_days: int = 90  # call records lose their pseudonym after this
    caller_hash_cost: int = 13  # scrypt N = 2**cost for the pseudonym
    environment: str = "development"  # HELPLINE_ENV; "production" also follows from https
    validate_signatures: bool = True
    session_ttl_seconds: int = 4 * 3600
    max_queue_wait_seconds: int = 900
    fallback_number: str = "+14165550100"  # a staffed line of last resort when every queue is full
    # The need menu's crisis option dials this (9-8-8, Canada's suicide crisis helpline).
    crisis_line_number: str = "988"
    # Text-to-speech voices from Twilio's table (config/data/tts_voices.csv); no en-CA voice exists.
    voice_en: str = "Polly.Joanna"
    voice_fr: str = "Google.fr-CA-Standard-A"
    hold_music_url: str = "http://com.twilio.sounds.music.s3.amazonaws.com/ClockworkWaltz.mp3"
    # How long one play of that clip lasts: Twilio asks the hold URL again only when it ends,
    # so near a caller's max wait a shorter pause is played instead (see ivr.voice.hold).
    hold_music_seconds: int = 30
    # Callbacks (ivr.callbacks): tries to reach a caller who asked to be called back, the
    # seconds between two tries, how long the callee's phone rings, and how long the
    # specialist waits for the callee to be connected before going on to the next caller.
    callback_attempts: int = 3
    callback_retry_seconds: int = 300
    callback_ring_seconds: int = 25
    callback_wait_seconds: int = 60
    # The size of each provider's Twilio queue (the Queue resource's max_size, set through the
    # REST API: Twilio's own default is 100, its limit 5000): callers past it get queue-full and
    # the overflow route. Disaster mode raises it to `disaster_queue_size` and off restores it.
    # How an answered call is bridged (ivr.conference): "conference" (the system claims the
    # caller for the specialist and joins both to a <Conference> named for the call, over
    # Twilio's REST API: what interpreters, transfers and supervisors need) or "queue"
    # (Twilio's <Dial><Queue> bridges the head of the queue directly: no call controls; for a
    # lab without a REST API). A specialist with nobody to take waits `idle_poll_seconds` at a
    # time before the system looks again; a caller joining the queue wakes one at once
    # (ivr.wake), so the looks are the backstop for a lost wake (measured: bench/callbacks.py
    # --idle-poll; 30 s with the wake holds callers no longer than 10 s without it).
    call_bridge: str = "conference"
    idle_poll_seconds: int = 30
    queue_size: int = 100
    disaster_queue_size: int = 1000
    contact_lock_hours: int = 72  # a contact record locks this long after the call; later edits are audited
    open_data_min_cell: int = 5  # open data withholds counts below this (small-cell suppression)
    # Staff sign-in: failed attempts allowed (Flask-Limiter notation), per account and address.
    signin_limit_per_account: str = "10 per 15 minutes"
    signin_limit_per_address: str = "50 per 15 minutes"
    metrics_token: str = ""  # unset: /metrics answers only loopback requests not via a proxy
    max_request_bytes: int = 1024 * 1024
    search_warm_start: bool = False  # build the directory search index in create_app (from_env: on)
    # Which engine answers directory searches: "memory" (an index in each worker, the default,
    # best up to ~100,000 services) or "postgres" (pg_trgm and full-text in the database, for
    # a province or a country; needs DATABASE_URL on PostgreSQL). See README "Directory".
    search_engine: str = "memory"
    testing: bool = False
    csrf_in_tests: bool = False
    # Bounded waits (see README "When Redis or PostgreSQL fails"): a webhook answers within
    # its budget whatever a dependency does; each dependency is waited on for less than that.
    webhook_budget_seconds: float = 4.0
    redis_timeout_seconds: float = 0.5
    db_connect_timeout_seconds: int = 2
    webhook_db_timeout_seconds: float = 1.0
    breaker_cooldown_seconds: float = 2.0
    # The local journal that keeps call records and survey answers while PostgreSQL is down;
    # None: instance/journal-<hash of the database URL>.sqlite3 beside the default database.
    journal_path: str | None = None
    # DEMO_CLOCK: a request's `X-Demo-Time` header sets the app's clock for that request, so
    # the simulator's `--at` and simulated waits reach a running server (config.demo_clock).
    # A lab setting: production refuses to start with it.
    demo_clock: bool = False
    # TWILIO_API_BASE: where the REST requests go instead of https://api.twilio.com (the
    # simulator's stand-in, `ivr.simulator.rest_http`, for the demo under gunicorn). A lab
    # setting: production refuses to start with it.
    twilio_api_base: str = ""

    @classmethod
    def from_env(cls) -> Settings:
        """Read the environment; unset values fall back to the embedded defaults."""
        base = cls()
        return replace(
            base,
            database_url=os.environ.get("DATABASE_URL") or base.database_url,
            redis_url=os.environ.get("REDIS_URL") or None,
            twilio_account_sid=os.environ.get("TWILIO_ACCOUNT_SID") or base.twilio_account_sid,
            twilio_auth_token=os.environ.get("TWILIO_AUTH_TOKEN") or base.twilio_auth_token,
            twilio_from_number=os.environ.get("TWILIO_FROM_NUMBER") or base.twilio_from_number,
            public_base_url=(os.environ.get("PUBLIC_BASE_URL") or base.public_base_url).rstrip("/"),
            secret_key=os.environ.get("SECRET_KEY") or base.secret_key,
            caller_hash_key=os.environ.get("CALLER_HASH_KEY") or base.caller_hash_key,
            caller_hash_period_days=_env_int("CALLER_HASH_PERIOD_DAYS", base.caller_hash_period_days),
            caller_hash_retention_days=_env_int("CALLER_HASH_RETENTION_DAYS",
                                                base.caller_hash_retention_days),
            caller_hash_cost=_env_int("CALLER_HASH_COST", base.caller_hash_cost),
            environment=(os.environ.get("HELPLINE_ENV") or base.environment).strip().lower(),
            validate_signatures=_env_bool("VALIDATE_TWILIO_SIGNATURES", True),
            session_ttl_seconds=_env_int("SESSION_TTL_SECONDS", base.session_ttl_seconds),
            max_queue_wait_seconds=_env_int("MAX_QUEUE_WAIT_SECONDS", base.max_queue_wait_seconds),
            voice_en=os.environ.get("VOICE_EN") or base.voice_en,
            voice_fr=os.environ.get("VOICE_FR") or base.voice_fr,
            hold_music_url=os.environ.get("HOLD_MUSIC_URL") or base.hold_music_url,
            hold_music_seconds=_env_int("HOLD_MUSIC_SECONDS", base.hold_music_seconds),
            fallback_number=os.environ.get("FALLBACK_NUMBER") or base.fallback_number,
            crisis_line_number=os.environ.get("CRISIS_LINE_NUMBER") or base.crisis_line_number,
            callback_attempts=_env_int("CALLBACK_ATTEMPTS", base.callback_attempts),
            callback_retry_seconds=_env_int("CALLBACK_RETRY_SECONDS", base.callback_retry_seconds),
            callback_ring_seconds=_env_int("CALLBACK_RING_SECONDS", base.callback_ring_seconds),
            callback_wait_seconds=_env_int("CALLBACK_WAIT_SECONDS", base.callback_wait_seconds),
            call_bridge=(os.environ.get("CALL_BRIDGE") or base.call_bridge).strip().lower(),
            idle_poll_seconds=_env_int("IDLE_POLL_SECONDS", base.idle_poll_seconds),
            queue_size=_env_int("QUEUE_MAX_SIZE", base.queue_size),
            disaster_queue_size=_env_int("DISASTER_QUEUE_MAX_SIZE", base.disaster_queue_size),
            webhook_budget_seconds=_env_float("WEBHOOK_BUDGET_SECONDS", base.webhook_budget_seconds),
            redis_timeout_seconds=_env_float("REDIS_TIMEOUT_SECONDS", base.redis_timeout_seconds),
            db_connect_timeout_seconds=_env_int("DB_CONNECT_TIMEOUT_SECONDS",
                                                base.db_connect_timeout_seconds),
            webhook_db_timeout_seconds=_env_float("WEBHOOK_DB_TIMEOUT_SECONDS",
                                                  base.webhook_db_timeout_seconds),
            journal_path=os.environ.get("JOURNAL_PATH") or None,
            contact_lock_hours=_env_int("CONTACT_LOCK_HOURS", base.contact_lock_hours),
            open_data_min_cell=_env_int("OPEN_DATA_MIN_CELL", base.open_data_min_cell),
            search_warm_start=_env_bool("SEARCH_WARM_START", True),
            search_engine=(os.environ.get("SEARCH_ENGINE") or base.search_engine).strip().lower(),
            signin_limit_per_account=os.environ.get("SIGNIN_LIMIT_PER_ACCOUNT")
            or base.signin_limit_per_account,
            signin_limit_per_address=os.environ.get("SIGNIN_LIMIT_PER_ADDRESS")
            or base.signin_limit_per_address,
            metrics_token=os.environ.get("METRICS_TOKEN") or base.metrics_token,
            max_request_bytes=_env_int("MAX_REQUEST_BYTES", base.max_request_bytes),
            demo_clock=_env_bool("DEMO_CLOCK", False),
            twilio_api_base=(os.environ.get("TWILIO_API_BASE") or "").strip(),
        )

    def __post_init__(self) -> None:
        if self.search_engine not in SEARCH_ENGINES:
            raise ValueError(f"SEARCH_ENGINE must be one of {', '.join(SEARCH_ENGINES)}, "
                             f"not {self.search_engine!r}")
        if self.search_engine == "postgres" and self.is_sqlite:
            raise ValueError("SEARCH_ENGINE=postgres needs DATABASE_URL on PostgreSQL")
        if self.call_bridge not in CALL_BRIDGES:
            raise ValueError(f"CALL_BRIDGE must be one of {', '.join(CALL_BRIDGES)}, "
                             f"not {self.call_bridge!r}")
        if not 1 <= self.idle_poll_seconds <= 30:
            raise ValueError(f"IDLE_POLL_SECONDS must be from 1 to 30, not {self.idle_poll_seconds}")
        for name, size in (("QUEUE_MAX_SIZE", self.queue_size),
                           ("DISASTER_QUEUE_MAX_SIZE", self.disaster_queue_size)):
            if not 1 <= size <= TWILIO_MAX_QUEUE_SIZE:
                raise ValueError(f"{name} must be from 1 to {TWILIO_MAX_QUEUE_SIZE}, not {size}")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def journal_file(self) -> Path:
        """One journal per database, so two deployments (or test runs) never share one."""
        if self.journal_path:
            return Path(self.journal_path)
        digest = hashlib.sha256(self.database_url.encode()).hexdigest()[:12]
        return DEFAULT_SQLITE_PATH.parent / f"journal-{digest}.sqlite3"

    @property
    def is_https(self) -> bool:
        return self.public_base_url.startswith("https://")

    @property
    def is_production(self) -> bool:
        """Served to Twilio over https, or declared so: real callers, real secrets required."""
        return self.is_https or self.environment == "production"

    def development_defaults(self) -> list[str]:
        """The settings that still hold a development value (by environment variable name)."""
        problems = []
        if self.twilio_auth_token == DEV_TWILIO_AUTH_TOKEN or not self.twilio_auth_token:
            problems.append("TWILIO_AUTH_TOKEN is the development default")
        if not self.secret_key:
            problems.append("SECRET_KEY is unset (a random key per process: workers would not "
                            "share sessions)")
        elif len(self.secret_key) < MIN_SECRET_LENGTH:
            problems.append(f"SECRET_KEY is shorter than {MIN_SECRET_LENGTH} characters")
        if self.caller_hash_key == DEV_CALLER_HASH_KEY or not self.caller_hash_key:
            problems.append("CALLER_HASH_KEY is the development default")
        elif len(self.caller_hash_key) < MIN_SECRET_LENGTH:
            problems.append(f"CALLER_HASH_KEY is shorter than {MIN_SECRET_LENGTH} characters")
        if self.caller_hash_key and self.caller_hash_key == self.secret_key:
            problems.append("CALLER_HASH_KEY must differ from SECRET_KEY")
        if not self.validate_signatures:
            problems.append("VALIDATE_TWILIO_SIGNATURES is off")
        if self.demo_clock:
            problems.append("DEMO_CLOCK is on (any request could set the app's time)")
        if self.twilio_api_base:
            problems.append("TWILIO_API_BASE is set (REST requests would not reach Twilio)")
        return problems

    def check_production_secrets(self) -> None:
        """Refuse to start a production deployment on development secrets, naming each one."""
        if not self.is_production:
            return
        problems = self.development_defaults()
        if problems:
            raise InsecureConfiguration(
                "refusing to start a production deployment (PUBLIC_BASE_URL is https or "
                "HELPLINE_ENV=production): " + "; ".join(problems))


class InsecureConfiguration(RuntimeError):
    """A production deployment configured with development secrets."""
