"""Typed readers for configuration from environment variables.

Every setting of the portal comes from the environment (twelve-factor). Each helper fails loudly
at start-up with the variable's name when its value cannot be understood, so a typo in a
deployment is a clear error rather than a silently different portal.
"""

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name, default=None, *, required=False):
    """The variable as a string, or ``default`` when it is unset."""
    value = os.environ.get(name)
    if value is None:
        if required:
            raise ImproperlyConfigured("Environment variable {} is required.".format(name))
        return default
    return value


def env_bool(name, default=False):
    """The variable read as a yes/no flag (1/0, true/false, yes/no, on/off)."""
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(
        "Environment variable {} must be true or false (1/0, yes/no, on/off), not {!r}.".format(name, value)
    )


def env_int(name, default, *, minimum=None, maximum=None):
    """The variable as a whole number within optional bounds."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(
            "Environment variable {} must be a whole number, not {!r}.".format(name, value)
        ) from None
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise ImproperlyConfigured(
            "Environment variable {} must be between {} and {}, not {}.".format(name, minimum, maximum, number)
        )
    return number


def env_list(name, default=()):
    """The variable as a comma-separated list with blanks dropped."""
    value = os.environ.get(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_choice(name, default, choices):
    """The variable as one of a fixed set of values."""
    value = os.environ.get(name, default)
    if value not in choices:
        raise ImproperlyConfigured(
            "Environment variable {} must be one of {}, not {!r}.".format(name, ", ".join(sorted(choices)), value)
        )
    return value
