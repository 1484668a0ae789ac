"""``make messages``: re-extract and recompile every app's Simplified Chinese catalogue.

Each top-level folder with a ``locale/`` is an app with a catalogue of its own, extracted from its own
folder. The project's top-level ``templates/`` (base.html, generic/, overrides of third-party
templates) has no catalogue of its own: its strings belong to portal's, so portal's pass runs from
the project root with ``portal/locale`` as the default locale path and every other app's folder
ignored (their strings would otherwise land in portal's catalogue too).
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LANGUAGE = "zh_Hans"
# Folders under the root whose strings belong to no catalogue: tests, benchmarks, docs, runtime data.
NOT_EXTRACTED = ["tests", "bench", "docs", "var", "staticfiles"]


def apps_with_catalogues():
    return sorted(path.name for path in ROOT.iterdir() if (path / "locale").is_dir())


def main():
    import django
    from django.conf import settings
    from django.core.management import call_command

    settings.configure(USE_I18N=True)
    django.setup()
    apps = apps_with_catalogues()
    for app in apps:
        if app == "portal":
            os.chdir(ROOT)
            settings.LOCALE_PATHS = [str(ROOT / "portal" / "locale")]
            ignored = [f"{name}/*" for name in apps + NOT_EXTRACTED if name != "portal"]
        else:
            # As before the templates moved: the app's own folder, its locale/ the only locale path.
            os.chdir(ROOT / app)
            settings.LOCALE_PATHS = []
            ignored = []
        call_command("makemessages", locale=[LANGUAGE], no_obsolete=True, ignore_patterns=ignored, verbosity=0)
        os.chdir(ROOT / app)
        call_command("compilemessages", locale=[LANGUAGE], verbosity=0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
