"""Static file storage with DEBUG off: whitenoise's hashed, compressed copies, never a failed page.

Django's manifest storage raises ValueError while rendering ``{% static %}`` for a file that is
not in ``staticfiles/`` (``collectstatic`` not run at this release, or a file added since), and
the page becomes a server error: every page at once, the error pages included, since they link
the favicon and stylesheets too. Here such a file is linked by its plain name instead, which
whitenoise serves from the apps' static folders (``WHITENOISE_USE_FINDERS``), uncached, and the
problem is logged once per file for the operator.
"""

import logging

from whitenoise.storage import CompressedManifestStaticFilesStorage as WhitenoiseStorage

logger = logging.getLogger(__name__)


class CompressedManifestStaticFilesStorage(WhitenoiseStorage):
    """whitenoise's storage, linking a file missing from the manifest by its unhashed name."""

    def stored_name(self, name):
        try:
            return super().stored_name(name)
        except ValueError:
            if name not in _reported:
                _reported.add(name)
                logger.warning(
                    "Static file %s is not in %s (run `manage.py collectstatic`): linked unhashed.",
                    name,
                    self.location,
                )
            return name


_reported = set()
