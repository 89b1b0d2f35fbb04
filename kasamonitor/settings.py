"""Kasa Monitor settings: every value comes from the environment (see README "Configure")."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured

from kasamonitor import datadir
from kasamonitor import env as launch_env
from kasamonitor.env import env
from kasamonitor.env import secret as _secret

BASE_DIR = launch_env.BASE_DIR
VERSION = "0.1.0"


# GENERAL
# ------------------------------------------------------------------------------
DEBUG = env.bool("DEBUG", default=False)
DATA_DIR = launch_env.data_dir()
# umask 077 for this process and its children, and the folder 0700: see kasamonitor/datadir.py.
datadir.ensure(DATA_DIR)
HOST = launch_env.host()
PORT = launch_env.port()
# The web process (kasamonitor/serve.py): which ASGI server, and how many processes.
try:
    WEB_SERVER = launch_env.web_server()
except ValueError as exc:
    raise ImproperlyConfigured(str(exc)) from None
WEB_WORKERS = launch_env.web_workers()
SECRET_KEY = _secret("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY (or SECRET_KEY_FILE) must be set when DEBUG is off; `make run` and "
            "manage.py create one in $KASA_DATA_DIR/secret_key."
        )
    SECRET_KEY = "insecure-debug-only-key-not-for-production"  # noqa: S105 (DEBUG only)

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", HOST])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
FRONTEND_URL = env.str("FRONTEND_URL", default=f"http://{HOST}:{PORT}").rstrip("/")
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_TZ = True
LANGUAGE_CODE = "en-us"
USE_I18N = True

INSTALLED_APPS = [
    # KASA_ADMIN=0 (the Procfile's worker): the admin without its autodiscovery, so the
    # process does not import every admin module (django-import-export's formats, openpyxl,
    # Pillow: about 9 MiB); it serves no admin page.
    "django.contrib.admin"
    if env.bool("KASA_ADMIN", default=True)
    else "django.contrib.admin.apps.SimpleAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "corsheaders",
    "channels",
    "django_celery_beat",
    "import_export",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "system",
    "accounts",
    "security",
    "devices",
    "billing",
    "insights",
    "exports",
    "backups",
    "monitoring",
    "web",
    "integrations",
    "kasamonitor",
]

MIDDLEWARE = [
    "kasamonitor.middleware.RequestIdMiddleware",
    # Request latency by route for /metrics; unused (removed at start) while metrics are off.
    "integrations.middleware.RequestMetricsMiddleware",
    # Outermost after the request id, so every response (413, 429, static) gets the headers.
    "security.headers.SecurityHeadersMiddleware",
    "kasamonitor.middleware.BodySizeLimitMiddleware",
    "kasamonitor.middleware.NulByteGuardMiddleware",
    # System config require_https: plain HTTP is redirected (GET/HEAD) or refused.
    "security.headers.HttpsRequiredMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside CorsMiddleware so it also sees the preflight answers cors-headers short-cuts.
    "security.headers.CorsAuditMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    # Inside CorsMiddleware, so a browser on an allowed origin can read its 429.
    "security.ratelimit.RateLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Ends an admin console session whose login session ended (logout everywhere, revoke).
    "accounts.middleware.ConsoleSessionMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "kasamonitor.urls"
ASGI_APPLICATION = "kasamonitor.asgi.application"
WSGI_APPLICATION = "kasamonitor.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "/login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# DATABASES
# ------------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'kasamonitor.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes; IMMEDIATE avoids
    # "database is locked" on lock upgrades; the timeout waits out short writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
# Web requests run on WEB_THREADS reused threads (kasamonitor/asgi_django.py), so a
# connection outlives its request: reused for CONN_MAX_AGE seconds, checked before reuse.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
WEB_THREADS = env.int("WEB_THREADS", default=8)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# REDIS: Celery broker, channel layer and cache. `make run` starts an embedded
# server and sets REDIS_URL when it is unset, so the same code runs everywhere.
# ------------------------------------------------------------------------------
REDIS_URL = launch_env.redis_url() or "redis://127.0.0.1:6379/0"

CACHES = {
    "default": {
        "BACKEND": "kasamonitor.redis_pool.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="kasa"),
        "OPTIONS": {
            "socket_connect_timeout": 2,
            "socket_timeout": 2,
            "pool_class": "kasamonitor.redis_pool.SharedConnectionPool",
        },
    }
}
# Live events fan out through Redis pub/sub: each web process holds ONE subscription for all
# its sockets and copies each message to them in memory, instead of a blocking read and a
# pooled connection per consumer (docs/architecture.md, "Live events", has the measurements).
# Nothing in this layer blocks on a Redis read, so redis-py's socket timeout cannot cut a
# waiting socket; the health check finds a half-open connection within a minute.
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {
            "hosts": [
                {
                    "address": REDIS_URL,
                    "socket_connect_timeout": 2,
                    "socket_timeout": 5,
                    "health_check_interval": 30,
                }
            ],
            "prefix": env.str("CHANNEL_PREFIX", default="asgi"),
        },
    }
}

# Live sockets one web process accepts; past it a handshake gets 503 + Retry-After
# (docs/performance.md, "Live sockets", for what one process was measured to carry).
WS_MAX_CONNECTIONS = env.int("WS_MAX_CONNECTIONS", default=2000)

# CELERY
# ------------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL
# No result backend: nothing reads task results (jobs keep their state in the database), and
# Redis's result backend, once it lost Redis, kept each sending request waiting 20 s and then
# needed a restart of the process. Kombu's broker connections pass socket_timeout=None, so
# their blocking BRPOP (1 s) cannot race redis-py's default 5-s socket timeout.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="kasamonitor")
CELERY_TIMEZONE = TIME_ZONE
# django-celery-beat's, sending tasks only while it holds the install's scheduler lock
# (kasamonitor/scheduler.py): one scheduler sends, however many run.
CELERY_BEAT_SCHEDULER = "kasamonitor.scheduler:SingleDatabaseScheduler"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# The worker is one process with a pool of threads; exports, backups and whole re-pricings
# run in a process of their own started for the job (kasamonitor/jobs.py).
WORKER_JOB_PROCESSES = env.bool("WORKER_JOB_PROCESSES", default=True)
# Heartbeat keys carry the queue name, so installs (or test runs) sharing a Redis stay apart.
WORKER_HEARTBEAT_KEY = f"kasa:{CELERY_TASK_DEFAULT_QUEUE}:heartbeat:worker"
SCHEDULER_HEARTBEAT_KEY = f"kasa:{CELERY_TASK_DEFAULT_QUEUE}:heartbeat:scheduler"
SCHEDULER_LOCK_KEY = f"kasa:{CELERY_TASK_DEFAULT_QUEUE}:scheduler-lock"
WORKER_HEARTBEAT_TTL = 30

# AUTH
# ------------------------------------------------------------------------------
# Argon2id at OWASP's parameters, a bounded number of hashes at a time per web process, so
# hashes in flight never hold more than PASSWORD_HASHING_MEMORY_MIB over all WEB_WORKERS
# (accounts/hashing.py). Hashes with other parameters are rewritten at their next login.
PASSWORD_HASHING_MEMORY_MIB = env.int("PASSWORD_HASHING_MEMORY_MIB", default=48)
PASSWORD_HASHERS = [
    "accounts.hashing.BoundedArgon2PasswordHasher",  # also checks any older argon2 hash
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
PASSWORD_POLICY = {
    "min_length": env.int("PASSWORD_MIN_LENGTH", default=8),
    "require_uppercase": env.bool("PASSWORD_REQUIRE_UPPERCASE", default=True),
    "require_lowercase": env.bool("PASSWORD_REQUIRE_LOWERCASE", default=True),
    "require_digits": env.bool("PASSWORD_REQUIRE_DIGITS", default=True),
    "require_special": env.bool("PASSWORD_REQUIRE_SPECIAL", default=True),
    "history": env.int("PASSWORD_HISTORY", default=3),
}
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "accounts.password_validation.PolicyValidator"},
    {"NAME": "accounts.password_validation.HistoryValidator"},
]
AUTHENTICATION_BACKENDS = ["accounts.backends.UsernameOrEmailBackend"]
PASSWORD_RESET_MINUTES = 30
EMAIL_CODE_MINUTES = 15
# django-ratelimit rates ("count/[n]unit") of the auth endpoints, counted in the cache.
AUTH_RATE_LIMITS = {
    "login": env.str("RATE_LIMIT_LOGIN", default="5/m"),
    "two_factor": "10/5m",
    "register": "5/h",
    "password_reset": "3/15m",
    "password_reset_confirm": "3/15m",
    "send_verification": "3/15m",
    "verify_email": "10/15m",
}
# The login limits count per client IP as security.services.client_ip derives it (one place).
RATELIMIT_IP_META_KEY = "security.services.client_ip_for_ratelimit"
# Per-account login back-off: from the 5th failure in a row, wait 30 s, doubling up to 15 min.
LOGIN_BACKOFF = {"after": 5, "base": 30, "max": 900, "window": 3600}
OTP_TOTP_ISSUER = "Kasa Monitor"
TWO_FACTOR_CHALLENGE_SECONDS = 300
TWO_FACTOR_MAX_TRIES = 5

JWT_SIGNING_KEY = _secret("JWT_SECRET_KEY", default=SECRET_KEY)
JWT_PREVIOUS_KEYS = env.list("JWT_PREVIOUS_KEYS", default=[])
ACCESS_TOKEN_LIFETIME = timedelta(minutes=env.int("JWT_ACCESS_TOKEN_EXPIRE_MINUTES", default=30))
REFRESH_TOKEN_LIFETIME = timedelta(days=env.int("JWT_REFRESH_TOKEN_EXPIRE_DAYS", default=7))
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": ACCESS_TOKEN_LIFETIME,
    "REFRESH_TOKEN_LIFETIME": REFRESH_TOKEN_LIFETIME,
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": JWT_SIGNING_KEY,
    "AUTH_HEADER_TYPES": ("Bearer",),
}
MAX_SESSIONS_PER_USER = env.int("MAX_SESSIONS_PER_USER", default=3)
# The insights' answers (standby, bill projection, what changed) are kept this long in the
# cache (docs/insights.md "Freshness"); 0 works them out on every request.
INSIGHTS_CACHE_SECONDS = env.int("INSIGHTS_CACHE_SECONDS", default=60)

# COOKIES & SECURITY HEADERS
# ------------------------------------------------------------------------------
COOKIE_SAMESITE = env.str("COOKIE_SAMESITE", default="Lax")
COOKIE_SECURE = env.bool("COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_SECURE = COOKIE_SECURE
CSRF_COOKIE_SECURE = COOKIE_SECURE
SESSION_COOKIE_SAMESITE = COOKIE_SAMESITE
CSRF_COOKIE_SAMESITE = COOKIE_SAMESITE
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# Behind a proxy, uvicorn takes X-Forwarded-Proto (and -For) from the proxies in
# FORWARDED_ALLOW_IPS only (kasamonitor/serve.py); Django's SECURE_PROXY_SSL_HEADER would
# believe the header from any client, so it stays unset.
BEHIND_PROXY = launch_env.behind_proxy()
FORWARDED_ALLOW_IPS = launch_env.forwarded_allow_ips()
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
MAX_UPLOAD_SIZE_MB = env.int("MAX_UPLOAD_SIZE_MB", default=10)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
UPLOAD_LIMITS_MB = {"/api/backups/restore": env.int("BACKUP_MAX_UPLOAD_MB", default=2048)}
CSRF_FAILURE_VIEW = "kasamonitor.errors.csrf_failure"

CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_ALLOW_CREDENTIALS = True
if not DEBUG and any(o.strip() == "*" for o in CORS_ALLOWED_ORIGINS):
    raise ImproperlyConfigured("CORS_ALLOWED_ORIGINS may not contain '*' when DEBUG is off.")
CORS_ALLOW_ALL_ORIGINS = DEBUG and "*" in CORS_ALLOWED_ORIGINS
if CORS_ALLOW_ALL_ORIGINS:
    CORS_ALLOWED_ORIGINS = []
# Cross-origin clients may read these (rate-limit state, download names, request ids).
CORS_EXPOSE_HEADERS = [
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "Retry-After",
    "X-Request-ID",
    "Content-Disposition",
]

SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()"
)
API_RATE_LIMIT_PER_IP = env.str("API_RATE_LIMIT_PER_IP", default="100/m")
API_RATE_LIMIT_PER_USER = env.str("API_RATE_LIMIT_PER_USER", default="1000/h")
API_RATE_LIMIT_PATHS = ("/api/", "/download/")
API_RATE_LIMIT_EXEMPT = ("/api/health", "/health", "/static/")
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=365)
# Entries of anonymous requests (failed logins, refused origins, 429s...) per client IP and
# in all, per window; the rest are counted and summed up in one "audit.suppressed" entry.
AUDIT_ANONYMOUS_PER_IP = env.str("AUDIT_ANONYMOUS_PER_IP", default="20/h")
AUDIT_ANONYMOUS_TOTAL = env.str("AUDIT_ANONYMOUS_TOTAL", default="200/h")
SIGNED_URL_DEFAULT_MINUTES = 30
SIGNED_URL_MAX_MINUTES = 7 * 24 * 60
# A backup holds everything (password hashes, encrypted credentials): its links are
# one-time unless asked otherwise, and short-lived.
SIGNED_URL_BACKUP_DEFAULT_MINUTES = 15
SIGNED_URL_BACKUP_MAX_MINUTES = env.int("SIGNED_URL_BACKUP_MAX_MINUTES", default=60)
# `check --deploy`: silenced only where the warning cannot apply (docs/security.md).
# W021: HSTS preload commits a public domain and all its subdomains to HTTPS forever; a
#       self-hosted monitor on a LAN name must not opt in by default (SECURE_HSTS_PRELOAD).
# W008: without a proxy the web process listens on ONE port, plain or TLS (serve.py), so there is no
#       plain listener to redirect from; behind a proxy the warning stays on.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
if not BEHIND_PROXY:
    SILENCED_SYSTEM_CHECKS.append("security.W008")

# DEVICES
# ------------------------------------------------------------------------------
KASA_DISCOVERY_TARGET = env.list("KASA_DISCOVERY_TARGET", default=["255.255.255.255"])
KASA_DEVICE_TIMEOUT = env.float("KASA_DEVICE_TIMEOUT", default=1.0)
# One deadline for a device's whole poll; 1.2 s leaves the writes room inside 1.5 s when
# some devices hang (issue 12).
KASA_POLL_DEADLINE = env.float("KASA_POLL_DEADLINE", default=1.2)
KASA_POLL_CONCURRENCY = env.int("KASA_POLL_CONCURRENCY", default=500)  # 200 devices: one wave
KASA_DISCOVERY_TIMEOUT = env.float("KASA_DISCOVERY_TIMEOUT", default=3.0)
FIELD_ENCRYPTION_KEY = _secret("FIELD_ENCRYPTION_KEY", default="")
# Previous secret keys: signatures, tokens and encrypted fields made with them stay valid
# (kasamonitor/crypto.py, accounts/totp.py, Django's signing).
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])

# INTEGRATIONS (docs/integrations.md): Prometheus /metrics and MQTT, both off by default
# ------------------------------------------------------------------------------
# /metrics answers a bearer token or an address in the allow-list (networks allowed);
# with neither set it is 404.
METRICS_TOKEN = _secret("METRICS_TOKEN")
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=[])
# MQTT is on when MQTT_HOST is set; the worker publishes after each poll.
MQTT_HOST = env.str("MQTT_HOST", default="")
MQTT_PORT = env.int("MQTT_PORT", default=1883)
MQTT_USERNAME = env.str("MQTT_USERNAME", default="")
MQTT_PASSWORD = _secret("MQTT_PASSWORD")
MQTT_TLS = env.bool("MQTT_TLS", default=False)
MQTT_CA_FILE = env.str("MQTT_CA_FILE", default="")
MQTT_CLIENT_ID = env.str("MQTT_CLIENT_ID", default="kasa-monitor")
MQTT_BASE_TOPIC = env.str("MQTT_BASE_TOPIC", default="kasa_monitor")
MQTT_DISCOVERY_PREFIX = env.str("MQTT_DISCOVERY_PREFIX", default="homeassistant")
MQTT_QUEUE_SIZE = env.int("MQTT_QUEUE_SIZE", default=20000)
# Seconds; a worker that dies unannounced is reported offline (last will) after 1.5 x this.
MQTT_KEEPALIVE = env.int("MQTT_KEEPALIVE", default=30)

# MAIL: without EMAIL_HOST every message is written as a file to $KASA_DATA_DIR/mail/
# ------------------------------------------------------------------------------
EMAIL_HOST = env.str("EMAIL_HOST", default="")
EMAIL_PORT = env.int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = _secret("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Kasa Monitor <kasa-monitor@localhost>")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = DATA_DIR / "mail"

# STATIC FILES
# ------------------------------------------------------------------------------
STATIC_URL = "/static/"
# The installation's, not the data directory's: the files follow the sources, and the
# Makefile's install step collects them once for every data directory (kasamonitor/prepare.py).
STATIC_ROOT = env.str("STATIC_ROOT", default="") or BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "kasamonitor.staticfinders.PlotlyFinder",  # vendor/plotly.min.js from the plotly wheel
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed names for far-future caching; no pre-compression (brotli over the API docs'
    # assets made every start 40 s slower).
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_MANIFEST_STRICT = False  # a missing collectstatic must not turn pages into 500s

# REST FRAMEWORK & OPENAPI
# ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "kasamonitor.parsers.StrictJSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "EXCEPTION_HANDLER": "kasamonitor.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "kasamonitor.schema.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Kasa Monitor API",
    "DESCRIPTION": "Energy monitoring for TP-Link Kasa devices. Authenticate with "
    "`Authorization: Bearer <access_token>` or the HTTP-only cookies set at login.",
    "VERSION": VERSION,
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "PREPROCESSING_HOOKS": ["kasamonitor.schema.drop_trailing_slash_twins"],
    # Choice sets that share a field name get distinct, readable component names.
    "ENUM_NAME_OVERRIDES": {
        "OnlineStatusEnum": "monitoring.models.Reachability",  # cameras, hosts
        "DeviceStatusEnum": "devices.models.Device.Status",  # the above and auth_failed
        "DeviceTypeEnum": "devices.models.Device.Type",
        "HostTypeEnum": "monitoring.models.NetworkHost.Type",
        "SeverityEnum": "monitoring.models.Severity",
        "BackupStatusEnum": "backups.models.BackupJob.Status",
        "ExportStatusEnum": "exports.models.ExportJob.Status",
        "BackupCompressionEnum": ["none", "normal", "compatible", "high"],
        "ExportCompressionEnum": ["zip", "gzip"],
        "ApplianceKindEnum": "insights.models.ApplianceKind",
    },
}

# LOGGING: one JSON line per event
# ------------------------------------------------------------------------------
LOG_LEVEL = launch_env.log_level().upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "kasamonitor.logging.RequestIdFilter"},
        "answered_handshake": {"()": "kasamonitor.logging.AnsweredHandshakeFilter"},
    },
    "formatters": {"json": {"()": "kasamonitor.logging.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["request_id", "answered_handshake"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
        "kasa": {"level": "WARNING"},
        "asyncio": {"level": "WARNING"},
    },
}
