"""Models of the shared core. Each domain lives in its own module; this package re-exports them."""

from portal.models.accounts import UserSession  # noqa: F401
from portal.models.base import ScopedModel, ScopedQuerySet, TimestampedModel  # noqa: F401
from portal.models.jobs import ImportJob, ImportJobStatusChoices  # noqa: F401
from portal.models.roles import RoleAssignment  # noqa: F401
from portal.models.rollups import RollupFigure, RollupRun, RollupStatusChoices  # noqa: F401
