"""Settings for CNT Detox, read from the environment (see README, "Configuration").

Two profiles, chosen by ``DJANGO_ENV``:

- ``development`` (default): embedded SQLite and a file-system Celery broker so the app runs
  with no servers; a fixed development secret key is allowed here only.
- ``production``: ``SECRET_KEY`` and ``ALLOWED_HOSTS`` are required, DEBUG is forced off and
  every secure-cookie/HSTS/SSL-redirect switch is on, so ``check --deploy`` is clean.

``DATABASE_URL`` selects PostgreSQL; ``CELERY_BROKER_URL`` selects Redis.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import dj_database_url

from clinical.equivalence import DEFAULT_TABLE_ID, TABLES
from clinical.taper.rules import DEFAULT_STABILISATION_CAP_MG
from cnt_detox.core.env import (
    env_bool,
    env_choice,
    env_decimal,
    env_int,
    env_json_object,
    env_list,
    env_required,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent
RUN_DIR = Path(env_str("CNT_RUN_DIR", str(BASE_DIR / ".run")))

DJANGO_ENV = env_choice("DJANGO_ENV", "development", ("development", "production", "test"))
PRODUCTION = DJANGO_ENV == "production"

if PRODUCTION:
    SECRET_KEY = env_required("SECRET_KEY", why="the production profile has no default secret")
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [])
    if not ALLOWED_HOSTS:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("Environment variable ALLOWED_HOSTS is required in production.")
    DEBUG = False
else:
    # A fixed key outside production keeps sessions stable across restarts of `make run`;
    # it is never accepted in the production profile.
    SECRET_KEY = env_str(
        "SECRET_KEY", "development-only-key-not-for-production-use-0123456789abcdef"
    )
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver", "[::1]"])
    DEBUG = env_bool("DJANGO_DEBUG", False)

CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Security (issue 8): second factor, login lockout, Content-Security-Policy.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "cnt_detox.core",
    "patients",
    "assessments",
    "tapering",
    "medication",
    "reports",
    "notifications",
    "aftercare",
    "fhir_r4",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Oversized bodies (413), NUL bytes and implausible dates in query strings and form fields
    # (400) are refused here, before any view, the audit log or the database sees them; after
    # authentication so the error page can show the menu.
    "cnt_detox.core.input_guard.InputGuardMiddleware",
    # Messages before the idle check: the check logs out and leaves a message for the login
    # page (in the other order it raised MessageFailure, a 500).
    "django.contrib.messages.middleware.MessageMiddleware",
    "cnt_detox.core.middleware.IdleSessionMiddleware",
    "cnt_detox.core.middleware.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "cnt_detox.core.middleware.NoStoreMiddleware",
    "cnt_detox.core.errors.ErrorIdMiddleware",
    # Last, as django-axes requires: it turns a lockout flagged during authentication into
    # the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cnt_detox.urls"
WSGI_APPLICATION = "cnt_detox.wsgi.application"
ASGI_APPLICATION = "cnt_detox.asgi.application"
AUTH_USER_MODEL = "core.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

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
                "cnt_detox.core.context_processors.session_info",
                "notifications.context_processors.bell",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# CONN_HEALTH_CHECKS: without it a persistent connection broken by a PostgreSQL restart
# surfaces as a 500 on the next request instead of being replaced.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60, minimum=0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite serialises writers; a short busy timeout turns "database is locked" into a wait.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth and sessions ----------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # cnt_detox.core.passwords (issue 18.6): blank, repeated, keyboard runs, the username,
    # and Django's common-password list also on the base word ("Password1234!").
    {"NAME": "cnt_detox.core.passwords.BlankOrRepeatedValidator"},
    {"NAME": "cnt_detox.core.passwords.KeyboardRunValidator"},
    {"NAME": "cnt_detox.core.passwords.UsernamePasswordValidator"},
    {"NAME": "cnt_detox.core.passwords.CommonBaseWordValidator"},
]
SESSION_IDLE_TIMEOUT_SECONDS = env_int("SESSION_IDLE_TIMEOUT_SECONDS", 15 * 60, minimum=60)
SESSION_ABSOLUTE_TIMEOUT_SECONDS = env_int(
    "SESSION_ABSOLUTE_TIMEOUT_SECONDS", 12 * 3600, minimum=300
)
# API tokens end like a session's absolute limit (issue 18.3): 12 hours by default.
API_TOKEN_TTL_SECONDS = env_int("API_TOKEN_TTL_SECONDS", 12 * 3600, minimum=300)
# The cookie lives for the absolute limit; IdleSessionMiddleware enforces the idle limit so
# background polling (which does not count as activity) cannot keep a session alive.
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT_SECONDS
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"  # storage and server time; each unit's own zone decides what "today" means
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

# --- Security headers -----------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

# --- Security hardening (issue 8): second factor, lockout, CSP, audit chain -------------------
# Lockout check first: a locked-out account or source is refused before its password is even
# compared (cnt_detox.core.auth_backends explains the request=None case).
AUTHENTICATION_BACKENDS = [
    "cnt_detox.core.auth_backends.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Roles that must use a second factor (TOTP). Production defaults to physicians and admins;
# development defaults to nobody so `make run` logs straight in (set it to try enrolment).
OTP_REQUIRED_ROLES = env_list("OTP_REQUIRED_ROLES", ["physician", "admin"] if PRODUCTION else [])
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "CNT Detox")
OTP_BACKUP_CODE_COUNT = 10
# django-otp's own throttle is off: it refused the right code typed just after a wrong one.
# cnt_detox.core.otp throttles instead (free retries, then doubling waits) and django-axes
# locks out after AXES_FAILURE_LIMIT failures. One 30 s step of clock drift either way.
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0
OTP_TOTP_TOLERANCE = 1
# Admins may reset a lost authenticator (delete it) but never read its secret or QR code.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# django-axes: N failures lock that username, and N failures lock that client address, for
# AXES_COOLOFF_MINUTES; admins unlock early in the admin site ("Access attempts").
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1, maximum=100)
AXES_COOLOFF_TIME = dt.timedelta(
    minutes=env_int("AXES_COOLOFF_MINUTES", 30, minimum=1, maximum=24 * 60)
)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "cnt_detox.core.lockout.lockout_response"
# The same client address as the audit log (and the same proxy trust setting).
AXES_CLIENT_IP_CALLABLE = "cnt_detox.core.audit.client_ip"
# Successful logins are in our own audit log; axes keeps only failures and lockouts.
AXES_DISABLE_ACCESS_LOG = True
AXES_SENSITIVE_PARAMETERS = ["password", "otp", "code"]
AXES_CLIENT_STR_CALLABLE = "cnt_detox.core.lockout.client_str"
AXES_USERNAME_CALLABLE = "cnt_detox.core.lockout.client_username"
# Content-Security-Policy (django-csp 4): scripts and styles from our own origin only, no
# inline code, no framing. The API docs page loosens only style-src and img-src (Swagger UI
# sets inline styles and data: icons); its assets are vendored (drf-spectacular-sidecar)
# and its bootstrap script is a separate file (split view), so scripts stay 'self' only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
# Key of the audit hash chain (HMAC-SHA256). Keep it out of the database so whoever can write
# the audit table cannot recompute the chain; never rotate it without re-anchoring (README).
AUDIT_HASH_KEY = env_str("AUDIT_HASH_KEY", None) or SECRET_KEY
# The audit sealer (cnt_detox.core.audit.seal_pending); operations, not clinical numbers.
# Requests append unchained rows; beat links them into the chain every few seconds.
AUDIT_SEAL_INTERVAL_SECONDS = env_int("AUDIT_SEAL_INTERVAL_SECONDS", 5, minimum=1, maximum=300)
AUDIT_SEAL_BATCH_SIZE = env_int("AUDIT_SEAL_BATCH_SIZE", 500, minimum=1, maximum=10_000)
# How far below the highest sealed event id the frequent pass looks for late commits.
AUDIT_SEAL_LOOKBACK_ROWS = env_int("AUDIT_SEAL_LOOKBACK_ROWS", 10_000, minimum=0)
# An unsealed row older than this fails verify_audit and /healthz (the sealer has stopped).
AUDIT_UNSEALED_LIMIT_SECONDS = env_int("AUDIT_UNSEALED_LIMIT_SECONDS", 60, minimum=10)
EMERGENCY_ACCESS_MINUTES = env_int("EMERGENCY_ACCESS_MINUTES", 60, minimum=5, maximum=24 * 60)

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # No BasicAuthentication: it would pay the password hash on every request.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Expiring, revocable, hashed tokens (cnt_detox.core.tokens), not DRF's forever tokens.
        "cnt_detox.core.tokens.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON with the input guard: deep nesting, NUL bytes and implausible dates are 400s.
    "DEFAULT_PARSER_CLASSES": ["cnt_detox.core.input_guard.GuardedJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "cnt_detox.core.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "COERCE_DECIMAL_TO_STRING": True,
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append(
        "rest_framework.renderers.BrowsableAPIRenderer"
    )
SPECTACULAR_SETTINGS = {
    "TITLE": "CNT Detox API",
    "DESCRIPTION": "Inpatient benzodiazepine withdrawal: intake, CIWA-B, tapering, reminders.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a "status" choice set; name each enum after its model.
    "ENUM_NAME_OVERRIDES": {
        "PlanStatusEnum": "tapering.models.PlanStatus",
        "RecordStatusEnum": "tapering.models.RecordStatus",
    },
    # Swagger UI and Redoc from the vendored sidecar package: nothing loads from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
_BROKER_TIMEOUT = env_int("CELERY_BROKER_TIMEOUT_SECONDS", 3, minimum=1, maximum=60)
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT_SECONDS", 3600, minimum=60)
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = RUN_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # Without it kombu writes its exchange table to ./control in whatever directory the
        # process started in (a stray folder in the checkout after a test run).
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    # Socket timeouts keep a hung Redis from blocking a publishing request forever; the
    # visibility timeout must be the same everywhere or tasks are redelivered early.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "socket_timeout": _BROKER_TIMEOUT,
        "socket_connect_timeout": _BROKER_TIMEOUT,
        "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
        "max_retries": 1,
    }
CELERY_BROKER_CONNECTION_TIMEOUT = _BROKER_TIMEOUT
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BEAT_SCHEDULE_FILENAME = str(RUN_DIR / "celerybeat-schedule")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {}
# Stop a task whose broker connection is lost: with acks_late it is redelivered anyway, so
# letting it run on would only risk a second copy.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True

# --- Reminders and escalation (notifications app) ---------------------------------------------
# Sources: risk.md "Escalation rules" and ciwa-b.md "Reassessment interval". The overdue and
# chain timings are facility/design defaults there, NOT published thresholds; the lead time
# and dose-late threshold are this app's own defaults. README "Reminders and escalation".
NOTIFICATIONS_REMINDER_LEAD_MINUTES = env_int("NOTIFICATIONS_REMINDER_LEAD_MINUTES", 15, minimum=0)
NOTIFICATIONS_OVERDUE_CHARGE_NURSE_MINUTES = env_int(
    "NOTIFICATIONS_OVERDUE_CHARGE_NURSE_MINUTES", 30, minimum=1
)
NOTIFICATIONS_OVERDUE_PHYSICIAN_MINUTES = env_int(
    "NOTIFICATIONS_OVERDUE_PHYSICIAN_MINUTES", 60, minimum=1
)
NOTIFICATIONS_CHAIN_DELAY_MINUTES = env_int("NOTIFICATIONS_CHAIN_DELAY_MINUTES", 15, minimum=1)
# When an unrecorded dose counts as late, then missed: ward routine, not a published
# threshold. The dose page, the unit board and the reminders all use these two.
DOSE_LATE_MINUTES = env_int("DOSE_LATE_MINUTES", 60, minimum=1)
# Facility default for an as-needed benzodiazepine order: a valid CIWA-B within this many
# minutes before the dose (issue 15). Not a published threshold; the order may set its own.
# Issue 15: a taper plan above 40 mg/day diazepam equivalent (tapering.md 1.3, eTG specialist
# review) or signed with a rule override needs an addiction specialist's second signature
# before it is in force. On by default; a facility without a specialist may turn it off.
TAPER_SECOND_SIGNATURE = env_bool("TAPER_SECOND_SIGNATURE", True)
PRN_CIWA_WITHIN_MINUTES = env_int("PRN_CIWA_WITHIN_MINUTES", 60, minimum=5)
DOSE_MISSED_MINUTES = env_int("DOSE_MISSED_MINUTES", 240, minimum=2)
# Operations (not clinical): how often the sweep runs and when delivery counts as stuck.
NOTIFICATIONS_SWEEP_INTERVAL_SECONDS = env_int(
    "NOTIFICATIONS_SWEEP_INTERVAL_SECONDS", 60, minimum=1, maximum=600
)
NOTIFICATIONS_CLAIM_TIMEOUT_SECONDS = env_int("NOTIFICATIONS_CLAIM_TIMEOUT_SECONDS", 120, minimum=1)
NOTIFICATIONS_REQUEUE_AFTER_SECONDS = env_int("NOTIFICATIONS_REQUEUE_AFTER_SECONDS", 120, minimum=1)
NOTIFICATIONS_RETRY_BASE_SECONDS = env_int("NOTIFICATIONS_RETRY_BASE_SECONDS", 30, minimum=1)
NOTIFICATIONS_RETRY_MAX_SECONDS = env_int("NOTIFICATIONS_RETRY_MAX_SECONDS", 900, minimum=1)
NOTIFICATIONS_MAX_ATTEMPTS = env_int("NOTIFICATIONS_MAX_ATTEMPTS", 6, minimum=1)
NOTIFICATIONS_HEARTBEAT_STALE_SECONDS = env_int(
    "NOTIFICATIONS_HEARTBEAT_STALE_SECONDS", 180, minimum=10
)
NOTIFICATIONS_LATE_SECONDS = env_int("NOTIFICATIONS_LATE_SECONDS", 120, minimum=10)
NOTIFICATIONS_SITE_URL = env_str("NOTIFICATIONS_SITE_URL", "http://127.0.0.1:8000")
# An interval (not crontab) schedule: it does not depend on wall-clock alignment, and a
# sweep that could not start within one interval is dropped (expires) rather than piling up
# in the broker while the worker is down; the next one catches up from the database.
CELERY_BEAT_SCHEDULE["notifications-sweep"] = {
    "task": "notifications.sweep",
    "schedule": float(NOTIFICATIONS_SWEEP_INTERVAL_SECONDS),
    "options": {"expires": float(NOTIFICATIONS_SWEEP_INTERVAL_SECONDS)},
}
# Finished taper plans become "completed" (tapering.md 5); the same interval as the sweep.
CELERY_BEAT_SCHEDULE["tapering-complete-finished-plans"] = {
    "task": "tapering.complete_finished_plans",
    "schedule": float(NOTIFICATIONS_SWEEP_INTERVAL_SECONDS),
    "options": {"expires": float(NOTIFICATIONS_SWEEP_INTERVAL_SECONDS)},
}

# The sealer runs often (rows are unsealed only for seconds) and expires like the sweep, so a
# stopped worker does not pile up seal tasks; the hourly full pass finds rows that committed
# very late (see AUDIT_SEAL_LOOKBACK_ROWS).
CELERY_BEAT_SCHEDULE["audit-seal"] = {
    "task": "core.seal_audit",
    "schedule": float(AUDIT_SEAL_INTERVAL_SECONDS),
    "options": {"expires": float(AUDIT_SEAL_INTERVAL_SECONDS)},
}
CELERY_BEAT_SCHEDULE["audit-seal-full"] = {
    "task": "core.seal_audit",
    "schedule": 3600.0,
    "kwargs": {"full": True},
    "options": {"expires": 600.0},
}
# --- FHIR R4 interoperability (fhir_r4 app; README "FHIR R4") ------------------------------------
# Identifiers and code systems of this facility (fhir.md: MRN system and local code systems are
# the facility's own URIs; no LOINC code exists for CIWA-B and none is guessed). Not clinical.
FHIR_BASE_URI = env_str("FHIR_BASE_URI", "https://cnt-detox.example.org/fhir").rstrip("/")
FHIR_MRN_SYSTEM = env_str("FHIR_MRN_SYSTEM", f"{FHIR_BASE_URI}/sid/mrn")
# Optional coding of the medicines (fhir.md: never invented; a facility may fill it), as JSON:
# {"diazepam": {"system": "...", "code": "...", "display": "..."}}. Empty: medication as text.
FHIR_MEDICATION_CODES = env_json_object("FHIR_MEDICATION_CODES", {})
# Bulk export files: a private folder (never served as static or media files), removed after
# the retention time. Operations settings, not clinical.
FHIR_EXPORT_DIR = Path(env_str("FHIR_EXPORT_DIR", str(RUN_DIR / "fhir-exports")))
FHIR_EXPORT_RETENTION_HOURS = env_int("FHIR_EXPORT_RETENTION_HOURS", 24, minimum=1, maximum=720)
CELERY_BEAT_SCHEDULE["fhir-purge-exports"] = {
    "task": "fhir.purge_exports",
    "schedule": 3600.0,
    "options": {"expires": 3600.0},
}

# --- Report export jobs (reports app; README "Unit board, census and reports") ----------------
# Long period exports are built by the worker into a private folder (never served as static or
# media files) and downloaded from the job page; the file is removed after the retention time,
# the job row stays. Operations settings, not clinical. In production this must be a volume
# shared by web and worker (docker-compose.yml).
REPORT_EXPORT_DIR = Path(env_str("REPORT_EXPORT_DIR", str(RUN_DIR / "report-exports")))
REPORT_EXPORT_RETENTION_HOURS = env_int("REPORT_EXPORT_RETENTION_HOURS", 24, minimum=1, maximum=720)
# A job still queued or running this long after it was requested is failed by the sweep (a
# 100,000-row XLSX takes under 30 s, so 30 min means the worker died or is wedged).
REPORT_EXPORT_STUCK_MINUTES = env_int("REPORT_EXPORT_STUCK_MINUTES", 30, minimum=5, maximum=1440)
CELERY_BEAT_SCHEDULE["reports-sweep-exports"] = {
    "task": "reports.sweep_exports",
    "schedule": 60.0,
    "options": {"expires": 60.0},
}

# --- Email ----------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT_SECONDS", 10, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "cnt-detox@localhost")

# --- Clinical facility settings ---------------------------------------------------------------
# Facility-wide choices; published facts live in */domain/ with their sources.
AUDIT_TRUST_X_FORWARDED_FOR = env_bool("AUDIT_TRUST_X_FORWARDED_FOR", False)
FACILITY_NAME = env_str("FACILITY_NAME", "CNT Detox demo facility")
# Validated here, at start-up: a typo must stop the app with the variable named, not answer
# 500 on the first admission (issue 19). equivalence.md "Default table": ashton-2002.
EQUIVALENCE_DEFAULT_TABLE = env_choice(
    "EQUIVALENCE_DEFAULT_TABLE", DEFAULT_TABLE_ID, tuple(sorted(TABLES))
)
# Facility maximum daily diazepam dose a taper starts at (tapering.md 1.2, SA Health "no
# greater than 40 mg twice daily" = 80 mg/day). The upper bound is the intake form's own input
# limit (1000 mg/day), not a clinical threshold.
TAPER_STABILISATION_CAP_MG = env_decimal(
    "TAPER_STABILISATION_CAP_MG",
    DEFAULT_STABILISATION_CAP_MG,
    minimum=Decimal(1),
    maximum=Decimal(1000),
)
# A CIWA-B entry recorded this long after the assessment is marked late: app default (15 min),
# not a clinical threshold (README "CIWA-B assessments", input limits).
CIWA_LATE_ENTRY_MINUTES = env_int("CIWA_LATE_ENTRY_MINUTES", 15, minimum=1, maximum=24 * 60)

# --- Discharge and aftercare (aftercare app) ----------------------------------------------------
# None of these is a published threshold: facility choices, README "Discharge and aftercare".
# How long the patient's phone link to their plain-language copy works.
AFTERCARE_PATIENT_LINK_HOURS = env_int(
    "AFTERCARE_PATIENT_LINK_HOURS", 72, minimum=1, maximum=24 * 90
)
# How long before a follow-up appointment the clinic is reminded, and after how long
# unrecorded it counts as overdue.
AFTERCARE_FOLLOWUP_REMINDER_LEAD_MINUTES = env_int(
    "AFTERCARE_FOLLOWUP_REMINDER_LEAD_MINUTES", 24 * 60, minimum=0
)
AFTERCARE_FOLLOWUP_OVERDUE_MINUTES = env_int("AFTERCARE_FOLLOWUP_OVERDUE_MINUTES", 120, minimum=1)
# Printed on the patient copy under "whom to call"; empty prints generic words instead.
FACILITY_PHONE = env_str("FACILITY_PHONE", "")
EMERGENCY_PHONE = env_str("EMERGENCY_PHONE", "")
# --- Offline bedside entry (issue 14) ----------------------------------------------------------
# Operational limits, not published clinical thresholds. A page saved on the device for
# offline use is not shown after OFFLINE_PAGE_MAX_AGE_HOURS; an entry saved on the device
# (queued while offline) is refused when it reaches the server more than
# OFFLINE_ENTRY_MAX_AGE_HOURS after Save was pressed (the nurse is asked to record it again
# as a late entry with the time of the assessment).
OFFLINE_PAGE_MAX_AGE_HOURS = env_int("OFFLINE_PAGE_MAX_AGE_HOURS", 12, minimum=1, maximum=24)
OFFLINE_ENTRY_MAX_AGE_HOURS = env_int("OFFLINE_ENTRY_MAX_AGE_HOURS", 12, minimum=1, maximum=72)
# Seconds the unit board must stay open before the patients' pages are saved on the device in
# the background (a board left at once costs the server nothing); 0 turns that saving off
# (pages are still saved as they are opened). The browser tests turn it off except their own.
OFFLINE_PRECACHE_DELAY_SECONDS = env_int(
    "OFFLINE_PRECACHE_DELAY_SECONDS", 3, minimum=0, maximum=600
)

# --- Logging --------------------------------------------------------------------------------
LOG_LEVEL = env_choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Request lines carry URLs; keep them at WARNING so nothing patient-related is logged
        # by default.
        "django.server": {"level": "WARNING"},
    },
}

LOGIN_URL_PATH = "/accounts/login/"
STATIC_URL_PATH = "/" + STATIC_URL

# Baseline views of the load benchmark (bench/), never mounted in production.
BENCH_VIEWS = env_bool("CNT_BENCH_VIEWS", False) and not PRODUCTION
