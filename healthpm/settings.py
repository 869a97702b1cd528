"""healthpm settings, read from the environment.

With nothing set the app runs the embedded demo: SQLite, Celery tasks executed in
process, files on local disk and e-mail printed to the console. Production values come
from the environment (see .env.example); secrets may also be read from `<NAME>_FILE`.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("HEALTHPM_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_str(name: str, default: str = "") -> str:
    """Value of NAME, or the content of the file named by NAME_FILE (Docker secrets)."""
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        return Path(file_path).read_text().strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", default=not env_str("SECRET_KEY"))
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY (or SECRET_KEY_FILE) must be set when DEBUG is off.")
    # Only the embedded demo runs on this key; production must set its own.
    SECRET_KEY = "healthpm-embedded-demo-key-not-for-production-use-0123456789"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "csp",
    # Two-factor sign-in (healthpm/accounts/mfa.py); before healthpm.accounts, whose admin
    # takes their device admins off the site.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "healthpm.core",
    "healthpm.accounts",
    "healthpm.audit",
    "healthpm.initiatives",
    "healthpm.gates",
    "healthpm.approvals",
    "healthpm.notifications",
    "healthpm.collaboration",
    "healthpm.dashboard",
    "healthpm.reviews",
    "healthpm.dossier",
    "healthpm.monitoring",
    "healthpm.api",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "healthpm.webhooks",
    "healthpm.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): the session passed the second factor (django-otp).
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "healthpm.audit.middleware.AuditContextMiddleware",
    "healthpm.accounts.middleware.IdleLogoutMiddleware",
    "healthpm.accounts.sso.SsoSessionMiddleware",
    # After the idle logout: an expired session is signed out, not asked for a code.
    "healthpm.accounts.mfa_middleware.TwoFactorMiddleware",
    # A database error during a POST answers 503 "nothing was saved" instead of a 500.
    "healthpm.core.middleware.DatabaseErrorMiddleware",
    # Last, as django-axes asks: it turns a lockout raised during login into its response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "healthpm.urls"
WSGI_APPLICATION = "healthpm.wsgi.application"

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
                "healthpm.core.context_processors.roles",
                "healthpm.reviews.context_processors.review_count",
                "healthpm.notifications.context_processors.inbox",
                "healthpm.accounts.context_processors.idle_logout",
                "healthpm.accounts.context_processors.sso",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'healthpm.sqlite3'}",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for the writer lock instead of failing at once when tasks run in process.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first: it refuses a locked-out username before the password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Single sign-on (healthpm/accounts/oidc.py); answers only when OIDC_ISSUER is set.
    "healthpm.accounts.oidc.HospitalOIDCBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "staticfiles"))
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Evidence is never served by URL: downloads go through the access checks in a view.
MEDIA_URL = "/media-not-served/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Security (production when DEBUG is off) -------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Automatic logoff after inactivity (HIPAA §164.312(a)(2)(iii)); healthpm/accounts/middleware.py.
HEALTHPM_IDLE_LOGOUT_SECONDS = env_int("HEALTHPM_IDLE_LOGOUT_SECONDS", 15 * 60)
# The page warns this long before and offers to stay signed in (static/js/idle.js).
HEALTHPM_IDLE_WARNING_SECONDS = env_int("HEALTHPM_IDLE_WARNING_SECONDS", 2 * 60)
CSRF_COOKIE_HTTPONLY = False
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

# Content-Security-Policy (django-csp), in every mode so the demo and the browser tests run
# under it: our own scripts and styles only, no inline code, nothing framed, no plugins.
# data: images are Bootstrap's SVG form icons.
from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    },
}

# Login lockout (django-axes): AXES_FAILURE_LIMIT failures lock the username for
# AXES_COOLOFF_MINUTES (guessing one account from many addresses), counted per username and per
# username + address. Never by address alone: a nursing station's workstations share one
# address, and one user's typos must not lock the whole ward out. An administrator unlocks
# from the admin site (Access attempts → "Unlock sign-in", audited as login_unlocked). Behind a
# proxy, set HEALTHPM_TRUST_X_FORWARDED_FOR so the address is the client's. Failures and
# lockouts are audited.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = ["username", ["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "healthpm.audit.middleware.client_ip"
AXES_VERBOSE = False

# --- Single sign-on (OpenID Connect) ------------------------------------------------------
# With OIDC_ISSUER set the login page offers "Sign in with <OIDC_ORGANISATION_NAME>"; the
# endpoints come from the issuer's discovery document. The provider must allow the redirect URI
# https://<host>/accounts/sso/callback/ (README, "Single sign-on").
OIDC_ISSUER = env_str("OIDC_ISSUER")
OIDC_RP_CLIENT_ID = env_str("OIDC_CLIENT_ID")
OIDC_RP_CLIENT_SECRET = env_str("OIDC_CLIENT_SECRET")
OIDC_RP_SCOPES = env_str("OIDC_SCOPES", "openid profile email")
OIDC_RP_SIGN_ALGO = env_str("OIDC_SIGN_ALGO", "RS256")
OIDC_ORGANISATION_NAME = env_str("OIDC_ORGANISATION_NAME", "your organisation")
# The claim (ID token or userinfo) that lists the user's groups at the provider.
OIDC_GROUPS_CLAIM = env_str("OIDC_GROUPS_CLAIM", "groups")
# Provider groups granting each role, re-applied at every sign-in (healthpm/accounts/role_sync.py).
OIDC_ROLE_GROUPS = {
    "product_manager": env_list("OIDC_GROUPS_PRODUCT_MANAGER", []),
    "compliance": env_list("OIDC_GROUPS_COMPLIANCE", []),
    "leadership": env_list("OIDC_GROUPS_LEADERSHIP", []),
    "administrator": env_list("OIDC_GROUPS_ADMINISTRATOR", []),
}
OIDC_TIMEOUT = env_int("OIDC_TIMEOUT_SECONDS", 10)
OIDC_USE_PKCE = True
OIDC_PKCE_CODE_CHALLENGE_METHOD = "S256"
OIDC_AUTHENTICATION_CALLBACK_URL = "sso_callback"
# With SSO on, local password sign-in is kept for members of this group only (break-glass
# accounts for when the provider is down); empty = every local account may still sign in.
HEALTHPM_LOCAL_LOGIN_GROUP = env_str("HEALTHPM_LOCAL_LOGIN_GROUP")
# An SSO session goes back through the provider after this long, so a leaver the provider has
# disabled is signed out within this time even without back-channel logout.
HEALTHPM_SSO_SESSION_MAX_SECONDS = env_int("HEALTHPM_SSO_SESSION_MAX_SECONDS", 3600)
# Whom a signed-in user without a role should ask (the "no healthpm role yet" page).
HEALTHPM_ACCESS_CONTACT = env_str("HEALTHPM_ACCESS_CONTACT", "your healthpm administrator")

# Two-factor sign-in for local accounts (TOTP + recovery codes, healthpm/accounts/mfa.py).
# Who must enrol before using anything: a comma-separated list of administrators (staff and
# superusers), compliance, product_managers, leadership; set but empty: optional for everyone. Anyone
# who has enrolled is asked for a code at sign-in and at signing either way.
_mfa_roles = os.environ.get("HEALTHPM_MFA_REQUIRED_ROLES", "administrators,compliance")
HEALTHPM_MFA_REQUIRED_ROLES = [token.strip() for token in _mfa_roles.split(",") if token.strip()]
_MFA_ROLE_TOKENS = {"administrators", "compliance", "product_managers", "leadership"}
if set(HEALTHPM_MFA_REQUIRED_ROLES) - _MFA_ROLE_TOKENS:
    raise ImproperlyConfigured(
        f"HEALTHPM_MFA_REQUIRED_ROLES: unknown {sorted(set(HEALTHPM_MFA_REQUIRED_ROLES) - _MFA_ROLE_TOKENS)}; "
        f"use a comma-separated list of {', '.join(sorted(_MFA_ROLE_TOKENS))}, or leave it empty.")
# The name authenticator apps show beside the account.
OTP_TOTP_ISSUER = "healthpm"
# The admin never shows a device's secret (the reset action is the admin's tool).
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# --- Celery ----------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 300)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 240)
# A dead broker must not hang a web request: fail fast, the outbox retries later.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5}
CELERY_TASK_PUBLISH_RETRY = False
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "retry-pending-notifications": {
        "task": "healthpm.notifications.tasks.send_pending_notifications",
        "schedule": 300.0,
    },
    "render-pending-dossiers": {
        "task": "healthpm.dossier.tasks.render_pending_dossiers",
        "schedule": 120.0,
    },
    # Catches up a reference-data change whose refresh could not be queued (broker down).
    "refresh-portfolio-facts": {
        "task": "healthpm.dashboard.tasks.refresh_portfolio_facts",
        "schedule": crontab(hour=env_int("HEALTHPM_REMINDER_HOUR", 6), minute=30),
    },
    # Expiring evidence, expired BAAs, overdue drills (healthpm/notifications/reminders.py).
    "daily-reminders": {
        "task": "healthpm.notifications.tasks.send_daily_reminders",
        "schedule": crontab(hour=env_int("HEALTHPM_REMINDER_HOUR", 6), minute=0),
    },
    # Monitoring metrics whose cadence passed without a sample (healthpm/monitoring/status.py).
    "stale-metric-reminders": {
        "task": "healthpm.monitoring.tasks.send_stale_metric_reminders",
        "schedule": crontab(hour=env_int("HEALTHPM_REMINDER_HOUR", 6), minute=10),
    },
    # Each compliance officer's digest of reviews past HEALTHPM_REVIEW_SLA_WORKING_DAYS (healthpm/reviews/reminders.py).
    "overdue-review-reminders": {
        "task": "healthpm.reviews.tasks.send_overdue_review_reminders",
        "schedule": crontab(hour=env_int("HEALTHPM_REMINDER_HOUR", 6), minute=5),
    },
    # Import previews of a gate's table nobody confirmed within a day (each holds the uploaded file).
    # Webhook deliveries a broker outage left pending, and retries whose backoff has passed.
    "send-due-webhooks": {
        "task": "healthpm.webhooks.tasks.send_due_webhooks",
        "schedule": 60.0,
    },
    # Repeated verifications of one file whose ten-minute window closed: one aggregated audit
    # event each (healthpm/dossier/verify_limits.py), even when nobody verifies anything after.
    "flush-verification-repeats": {
        "task": "healthpm.dossier.tasks.flush_verification_repeats",
        "schedule": 60.0,
    },
    # The audit chain's head into a signed checkpoint outside the database (healthpm/audit/checkpoints.py).
    "audit-checkpoint": {
        "task": "healthpm.audit.tasks.write_audit_checkpoint",
        "schedule": crontab(hour=0, minute=15),
    },
    "discard-abandoned-imports": {
        "task": "healthpm.gates.tasks.discard_abandoned_imports",
        "schedule": crontab(hour=env_int("HEALTHPM_REMINDER_HOUR", 6), minute=10),
    },
}

# --- E-mail ----------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# For django.core.mail.backends.filebased.EmailBackend (the real-worker integration test).
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "healthpm <healthpm@localhost>")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")
# The outbox's lease (healthpm/notifications/tasks.py): a notification claimed longer ago than
# this and still unsent belongs to a dead worker and is sent again. The sending tasks' hard
# time limits are derived from it (at most half of it), so a live run never outlasts its lease.
HEALTHPM_OUTBOX_LEASE_SECONDS = env_int("HEALTHPM_OUTBOX_LEASE_SECONDS", 600)
if HEALTHPM_OUTBOX_LEASE_SECONDS < 4:
    raise ImproperlyConfigured("HEALTHPM_OUTBOX_LEASE_SECONDS must be at least 4 (the send task runs for half of it).")

# --- Product rules (thresholds live here or in admin reference data) ----------------------
HEALTHPM_MAX_UPLOAD_BYTES = env_int("HEALTHPM_MAX_UPLOAD_BYTES", 25 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
HEALTHPM_CHECKLIST_VERSION = 2
HEALTHPM_FP_COST_THRESHOLD_USD = env_int("HEALTHPM_FP_COST_THRESHOLD_USD", 5000)
HEALTHPM_DRILL_MAX_AGE_DAYS = env_int("HEALTHPM_DRILL_MAX_AGE_DAYS", 365)
# Working days (Mon–Fri) compliance has to decide a submitted gate before the review queue marks it
# overdue and the daily reminder lists it to the officers who may decide it.
HEALTHPM_REVIEW_SLA_WORKING_DAYS = env_int("HEALTHPM_REVIEW_SLA_WORKING_DAYS", 5)
# Floors of the gate forms: below them an answer is a typo, not a fact (refused with why).
# $7.25 is the US federal minimum wage (FLSA, 29 U.S.C. 206): no loaded rate of a responder is lower.
HEALTHPM_MIN_HOURLY_RATE_USD = env_str("HEALTHPM_MIN_HOURLY_RATE_USD", "7.25")
# Fewer than one alert in a hundred days is no alerting model: a misplaced decimal point.
HEALTHPM_MIN_ALERTS_PER_DAY = float(env_str("HEALTHPM_MIN_ALERTS_PER_DAY", "0.01"))
# A source a reviewer can find names what, where and when ("silent-mode run, 4 wards, Q1 2026"):
# at least 3 words and 20 characters, which "x", "n/a", "EHR" or "see attached" are not.
HEALTHPM_MIN_SOURCE_WORDS = env_int("HEALTHPM_MIN_SOURCE_WORDS", 3)
HEALTHPM_MIN_SOURCE_CHARS = env_int("HEALTHPM_MIN_SOURCE_CHARS", 20)
# Rows a gate table import (CSV or XLSX) may hold: a file with more is refused whole.
HEALTHPM_IMPORT_MAX_ROWS = env_int("HEALTHPM_IMPORT_MAX_ROWS", 10_000)
# Checklist v2's thresholds (each gate declares the same default).
HEALTHPM_SUBGROUP_MARGIN = float(env_str("HEALTHPM_SUBGROUP_MARGIN", "0.05"))
HEALTHPM_SUBGROUP_MIN_POSITIVES = env_int("HEALTHPM_SUBGROUP_MIN_POSITIVES", 10)
HEALTHPM_TRAINING_MAX_AGE_DAYS = env_int("HEALTHPM_TRAINING_MAX_AGE_DAYS", 365)
# CHAI's Applied Model Card v0.2 XSD; empty: the vendored copy (healthpm/dossier/chai/README.md).
HEALTHPM_CHAI_SCHEMA = env_str("HEALTHPM_CHAI_SCHEMA")
# Forwarded-for is only trusted behind a proxy the deployment controls.
HEALTHPM_TRUST_X_FORWARDED_FOR = env_bool("HEALTHPM_TRUST_X_FORWARDED_FOR", False)

# --- The REST API (/api/v1/, healthpm/api/) ----------------------------------------------
# Bearer tokens only: no session, so a browser's cookies never act on the API (and no CSRF).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["healthpm.api.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["healthpm.api.permissions.TokenScope"],
    "DEFAULT_THROTTLE_CLASSES": ["healthpm.api.throttling.TokenRateThrottle"],
    # JSON only: the browsable API's pages carry inline scripts the CSP refuses.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser", "rest_framework.parsers.MultiPartParser",
                               "rest_framework.parsers.FormParser"],
    "EXCEPTION_HANDLER": "healthpm.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "healthpm.api.pagination.Pages",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "healthpm API",
    "DESCRIPTION": "Launch-readiness gates, evidence and dossiers. Errors are RFC 9457 problem+json.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"InitiativeStatusEnum": "healthpm.initiatives.models.Status",
                            "GateStatusEnum": "healthpm.gates.models.GateStatus"},
}
# The longest an API token may live; every token has an expiry.
HEALTHPM_API_TOKEN_MAX_DAYS = env_int("HEALTHPM_API_TOKEN_MAX_DAYS", 365)
# Requests a minute per token, then 429 with Retry-After. Counted in the default cache:
# shared by every process with CACHE_URL (Redis), per process without it.
HEALTHPM_API_RATE_PER_MINUTE = env_int("HEALTHPM_API_RATE_PER_MINUTE", 120)
# Dossier verifications a minute per user, the web page and the API's verify together; past it,
# 429 and nothing is checked or recorded (healthpm/dossier/verify_limits.py). Same cache.
HEALTHPM_VERIFY_PER_MINUTE = env_int("HEALTHPM_VERIFY_PER_MINUTE", 20)
if env_str("CACHE_URL"):
    # Shared by all web processes: the API's rate limit and the identity provider's discovery.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": env_str("CACHE_URL")}}

# --- Dossier signing (SPEC §6): the deployment's PKCS#12 certificate and its passphrase ----
HEALTHPM_SIGNING_P12 = Path(os.environ.get("HEALTHPM_SIGNING_P12", VAR_DIR / "signing" / "healthpm-signing.p12"))
# The constant only ever protects the demo's self-signed certificate (DEBUG); production sets its own.
HEALTHPM_SIGNING_PASSPHRASE = env_str("HEALTHPM_SIGNING_PASSPHRASE") or ("healthpm-demo-signing" if DEBUG else "")
HEALTHPM_DOSSIER_TIME_LIMIT = env_int("HEALTHPM_DOSSIER_TIME_LIMIT", 180)
# PEM file(s), comma-separated: the CA roots the signing certificate (and the TSA's) chain to.
# A self-signed signing certificate (the demo's) is its own root and needs none.
HEALTHPM_SIGNING_TRUST_ROOTS = env_list("HEALTHPM_SIGNING_TRUST_ROOTS", [])
# An RFC 3161 time-stamping authority: with it dossiers are PAdES B-LTA (signature timestamp,
# embedded OCSP/CRLs, document timestamp); without it B-B. Credentials are HTTP basic auth.
HEALTHPM_TSA_URL = env_str("HEALTHPM_TSA_URL")
HEALTHPM_TSA_USERNAME = env_str("HEALTHPM_TSA_USERNAME")
HEALTHPM_TSA_PASSWORD = env_str("HEALTHPM_TSA_PASSWORD")
HEALTHPM_TSA_TIMEOUT = env_int("HEALTHPM_TSA_TIMEOUT", 10)
# Audit checkpoints (healthpm/audit/checkpoints.py): signed PDFs of the audit chain's head, written
# daily. Keep the folder outside media and outside the database's reach (its own volume, a
# write-once bucket mounted here): a checkpoint is only evidence if whoever can rewrite the database
# cannot rewrite it too (docs/SECURITY.md).
HEALTHPM_AUDIT_CHECKPOINT_DIR = Path(os.environ.get("HEALTHPM_AUDIT_CHECKPOINT_DIR", VAR_DIR / "audit-checkpoints"))

# Outgoing webhooks (healthpm/webhooks). The Fernet key that encrypts the endpoints' signing
# secrets: with DEBUG off, required once an endpoint is added or sent to (healthpm/webhooks/crypto.py);
# derived from SECRET_KEY in the demo. Comma-separated keys rotate: the first encrypts.
HEALTHPM_WEBHOOK_KEY = env_str("HEALTHPM_WEBHOOK_KEY")
if not HEALTHPM_WEBHOOK_KEY and DEBUG:
    # Like the signing passphrase: only the demo derives its key (HKDF from SECRET_KEY).
    import base64

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    HEALTHPM_WEBHOOK_KEY = base64.urlsafe_b64encode(HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"healthpm webhook secrets",
    ).derive(SECRET_KEY.encode())).decode()
# Seconds to wait for a receiver's answer.
HEALTHPM_WEBHOOK_TIMEOUT = env_int("HEALTHPM_WEBHOOK_TIMEOUT", 10)
# Plain http and loopback targets (127.0.0.1, localhost, ::1): tests' local receivers only.
HEALTHPM_WEBHOOK_ALLOW_LOOPBACK = env_bool("HEALTHPM_WEBHOOK_ALLOW_LOOPBACK", False)
# https targets on private networks (RFC 1918, unique-local): the hospital's own integration engine.
HEALTHPM_WEBHOOK_ALLOW_PRIVATE = env_bool("HEALTHPM_WEBHOOK_ALLOW_PRIVATE", False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"quiet_diff_analysis": {"()": "healthpm.dossier.log_filters.QuietDiffAnalysis"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # pyHanko logs its verdict on a file changed after signing as a WARNING with a
        # traceback; this one record becomes an INFO line (healthpm/dossier/log_filters.py).
        "pyhanko.sign.diff_analysis.policies": {"filters": ["quiet_diff_analysis"]},
        "django.db.backends": {"level": "WARNING"},
        # WeasyPrint narrates every rendering step at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # django-axes logs every successful login at INFO; the audit trail already has them.
        "axes": {"level": "WARNING"},
        # pikepdf (audit anchors) announces its C++ logging bridge at INFO on first use.
        "pikepdf": {"level": "WARNING"},
    },
}
