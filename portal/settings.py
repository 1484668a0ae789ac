"""Settings of the party-building work portal, read from environment variables.

See README.md "Configuration" for every variable and its default. ``portal.settings_test`` overrides
what the test suite needs.
"""

import zoneinfo
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from portal.env import env_bool, env_choice, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Environment variable SECRET_KEY is required when DEBUG is off.")
    # Only a development server (make run sets DEBUG=1) may run on a throwaway key.
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    # The project's apps come first: the first app wins when two catalogues translate the same msgid
    # (django-celery-beat's "Name" = 任务名, django-filter's "Filter" = 过滤器 would otherwise beat ours).
    "portal",
    "members",
    "appraisal",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "pgtrigger",
    "pghistory",
    "pghistory.admin",
    "django_celery_beat",
]

# The organization tree every scope, rollup and statistic hangs on (portal.tree; like AUTH_USER_MODEL).
PORTAL_ORGANIZATION_MODEL = "members.Organization"

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "portal.request_limits.UrlLengthLimitMiddleware",
    "portal.middleware.RejectNullCharactersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "portal.request_log.RequestLogMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.accounts.SessionRegistryMiddleware",
    "portal.security_headers.SessionLifetimeMiddleware",
    "portal.security_headers.NoStoreMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "pghistory.middleware.HistoryMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # The project's own templates (base.html, generic/, and overrides of third-party ones such as
        # drf_spectacular/swagger_ui.html) come before every app's templates.
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.navigation",
            ],
        },
    },
]


def _database_url():
    """DATABASE_URL, or the embedded PostgreSQL that ``make run`` started under var/."""
    url = env_str("DATABASE_URL")
    if url:
        return url
    embedded = VAR_DIR / "database_url"
    if embedded.exists():
        return embedded.read_text().strip()
    raise ImproperlyConfigured(
        "Environment variable DATABASE_URL is not set and no embedded PostgreSQL is running "
        "(start one with `make run`)."
    )


try:
    DATABASES = {"default": dj_database_url.parse(_database_url(), conn_max_age=env_int("DB_CONN_MAX_AGE", 60, minimum=0))}
except ValueError as error:
    raise ImproperlyConfigured("Environment variable DATABASE_URL is not a valid URL: {}".format(error)) from None
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("Environment variable DATABASE_URL must point to PostgreSQL (postgres://...).")
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# No JIT for request queries: compiling a plan costs more than these millisecond queries run (a deep
# member page took 1.8 s with it). Work that gains from it may SET LOCAL jit = on.
_database_options = DATABASES["default"].setdefault("OPTIONS", {})
_database_options["options"] = ("-c jit=off " + _database_options.get("options", "")).strip()
DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME")} if env_str("TEST_DATABASE_NAME") else {}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "portal.backends.ScopedModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
# A branch secretary lands on their branch's roster; everyone else is sent on to "home".
LOGIN_REDIRECT_URL = "members:my_branch"
LOGOUT_REDIRECT_URL = "login"
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Registrations refused within an hour (a person already a current member outside the user's
# scope) before that user may register no one until the hour has passed (members.models.refusals).
REGISTRATION_REFUSAL_LIMIT = env_int("REGISTRATION_REFUSAL_LIMIT", 5, minimum=1)
AXES_USERNAME_CALLABLE = "portal.lockout.lockout_username"  # fits axes' 255-character column
AXES_SENSITIVE_PARAMETERS = ["password", "id_number", "phone"]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"  # a translated page instead of a bare line of English
AXES_LOCKOUT_CALLABLE = "portal.views.errors.lockout"  # that page, or JSON under /api/
# Behind reverse proxies the client is read from X-Forwarded-For, but only as far as proxies listed
# here wrote it (portal.client_ip); otherwise one proxy address would lock every account for everyone.
TRUSTED_PROXIES = __import__("portal.client_ip").client_ip.parse_trusted_proxies(env_list("TRUSTED_PROXIES"))
AXES_CLIENT_IP_CALLABLE = "portal.client_ip.client_ip_address"
# The database role the web and worker processes connect as; `migrate` (run as the owner) grants it
# exactly what it needs after every migration (portal.protections.app_role_statements).
DB_APP_ROLE = env_str("DB_APP_ROLE")

LANGUAGE_CODE = env_choice("LANGUAGE_CODE", "en", {"en", "zh-hans"})
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
if TIME_ZONE not in zoneinfo.available_timezones():
    raise ImproperlyConfigured("Environment variable TIME_ZONE is not a known time zone: {!r}.".format(TIME_ZONE))
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "portal.staticfiles.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_MANIFEST_STRICT = False

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "portal.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # DRF's three parsers (JSON, form, multipart), refusing bodies the portal cannot store.
    "DEFAULT_PARSER_CLASSES": [
        "portal.api.parsers.JSONParser",
        "portal.api.parsers.FormParser",
        "portal.api.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "portal.api.pagination.PageNumberPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "portal.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "portal.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "PAGE_SIZE": 50,
}
REST_KNOX = {
    "TOKEN_TTL": __import__("datetime").timedelta(hours=env_int("API_TOKEN_TTL_HOURS", 24 * 30, minimum=1)),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Party-building work portal API",
    "DESCRIPTION": "REST API v1 of the party-building work portal. The guide for client developers is docs/api.md in the repository.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Several models have a "status" or a "reason": name the roster's choice sets after their meaning.
    "ENUM_NAME_OVERRIDES": {
        "MemberStatusEnum": "members.choices.MemberStatusChoices",
        "TransferStatusEnum": "members.choices.TransferStatusChoices",
        "ExitReasonEnum": "members.choices.ExitReasonChoices",
        "RollupRunStatusEnum": "portal.models.rollups.RollupStatusChoices",
    },
}

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
if not CELERY_BROKER_URL:
    # With no broker configured, the filesystem transport under var/ needs nothing installed.
    _queue_dir = VAR_DIR / "celery-queue"
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(VAR_DIR / "celery-processed"),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND")  # none: tasks record their own outcome
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 3600, minimum=1)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 60 if CELERY_TASK_TIME_LIMIT > 120 else None
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# /health/ready/ fails when the newest successful rollup run is older than this (0: not checked).
HEALTH_ROLLUP_MAX_AGE_HOURS = env_int("HEALTH_ROLLUP_MAX_AGE_HOURS", 36, minimum=0)
CELERY_TIMEZONE = TIME_ZONE

# Imports (portal.spreadsheets): every limit stops the read where it is hit, with a message naming it.
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 20 * 1024 * 1024, minimum=1)
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 200_000, minimum=1)
IMPORT_MAX_CELL_CHARS = env_int("IMPORT_MAX_CELL_CHARS", 1000, minimum=1)
IMPORT_MAX_UNCOMPRESSED_BYTES = env_int("IMPORT_MAX_UNCOMPRESSED_BYTES", 200 * 1024 * 1024, minimum=1)
IMPORT_MAX_COMPRESSION_RATIO = env_int("IMPORT_MAX_COMPRESSION_RATIO", 100, minimum=1)
# An import with more text than this (a CSV's size, an XLSX's unpacked size) runs as a Celery job.
IMPORT_ASYNC_BYTES = env_int("IMPORT_ASYNC_BYTES", 2 * 1024 * 1024, minimum=0)

PGHISTORY_APPEND_ONLY = True
# Statement-level history triggers: one INSERT into the event table per statement instead of one
# per row, so a 100,000-row import or a city-wide workflow step stays set-based.
PGHISTORY_LEVEL = __import__("pgtrigger").Statement

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_personal_data": {"()": "portal.logging.MaskPersonalDataFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json_line": {"format": "%(message)s"},  # portal.request_log writes whole JSON lines
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["mask_personal_data"]},
        "request_log": {"class": "logging.StreamHandler", "formatter": "json_line", "filters": ["mask_personal_data"]},
    },
    # One JSON line per request (INFO) and per refused access (WARNING); levels follow LOG_LEVEL.
    "loggers": {
        "portal.request": {"handlers": ["request_log"], "propagate": False},
        "portal.access": {"handlers": ["request_log"], "propagate": False},
    },
    "root": {"handlers": ["console"], "level": env_choice("LOG_LEVEL", "INFO", {"DEBUG", "INFO", "WARNING", "ERROR"})},
}

SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# Idle timeout: the session's age, renewed by activity (a sliding window); and an absolute limit
# on one sign-in. Both are kept by portal.security_headers.SessionLifetimeMiddleware.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_MINUTES", 60, minimum=5, maximum=24 * 60) * 60
SESSION_MAX_AGE_SECONDS = env_int("SESSION_MAX_HOURS", 12, minimum=1, maximum=24 * 30) * 3600
# A strict Content-Security-Policy (django-csp): every script and style is a file of the portal
# (vendored Bootstrap, htmx, Chart.js; no inline code). data: images are Bootstrap's and Swagger
# UI's CSS icons. NONCE is filled in only on a page that asks for one (the API docs page's set-up
# script); everywhere else it is left out of the header.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# HTTPS (README "HTTPS, or plain HTTP on an intranet"): with DEBUG off the portal assumes a proxy
# that terminates TLS and says so in X-Forwarded-Proto. Plain HTTP must be chosen (HTTPS=false),
# never fallen into: an installation that forgot the variable redirects to https:// instead of
# sending session cookies in clear text.
HTTPS = env_bool("HTTPS", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SILENCED_SYSTEM_CHECKS = []
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    # Load balancers probe the health endpoints over plain HTTP, inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^health/"]
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    # Other systems may live under the portal's domain on plain HTTP; HSTS for them, and the
    # browsers' preload list (hard to leave again), are the domain owner's decision, not ours.
    if not SECURE_HSTS_INCLUDE_SUBDOMAINS:
        SILENCED_SYSTEM_CHECKS.append("security.W005")
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS.append("security.W021")
elif not DEBUG:
    # HTTPS=false: an intranet served over plain HTTP, chosen explicitly. The deploy checks that
    # ask for HTTPS (HSTS, redirect, secure cookies) cannot be met there.
    SILENCED_SYSTEM_CHECKS += ["security.W004", "security.W008"]
    if not SESSION_COOKIE_SECURE:
        SILENCED_SYSTEM_CHECKS += ["security.W012", "security.W016"]
