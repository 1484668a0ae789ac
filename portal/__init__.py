"""The portal's shared core: settings, scope, base models and views, rollups, the Celery app."""

from portal.celery import app as celery_app

__all__ = ["celery_app"]
