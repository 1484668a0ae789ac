"""The address of the client a request comes from, behind the reverse proxies the deployment trusts.

The lock-out after failed logins (django-axes) is keyed on user name and client address. Behind a
reverse proxy every request arrives from the proxy's address, so keyed on ``REMOTE_ADDR`` five bad
passwords from anywhere would lock an account for everyone. ``X-Forwarded-For`` names the client,
but anyone can send that header: it is believed only as far as it was written by proxies listed in
``TRUSTED_PROXIES`` (``settings.TRUSTED_PROXIES``, addresses or CIDR networks; none by default).
"""

import functools
import ipaddress

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def parse_trusted_proxies(values, variable="TRUSTED_PROXIES"):
    """The networks of ``values`` (``10.0.0.5``, ``10.0.0.0/24``, ``fd00::/8``) as strings; a value
    that is neither an address nor a network stops the start, naming the variable."""
    networks = []
    for value in values:
        try:
            networks.append(str(ipaddress.ip_network(value.strip(), strict=False)))
        except ValueError:
            raise ImproperlyConfigured(
                "Environment variable {} must list IP addresses or networks (like 10.0.0.0/24), not {!r}.".format(
                    variable, value
                )
            ) from None
    return networks


@functools.lru_cache(maxsize=8)
def _networks(values):
    return tuple(ipaddress.ip_network(value, strict=False) for value in values)


def _address(text):
    """The IP address written in ``text`` (also ``[2001:db8::1]:443`` or ``192.0.2.1:5678``), or None."""
    text = (text or "").strip()
    if text.startswith("["):
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    return getattr(address, "ipv4_mapped", None) or address


def client_ip_address(request):
    """``REMOTE_ADDR``, or when that is a trusted proxy, the right-most ``X-Forwarded-For`` entry that
    is not a trusted proxy (each trusted proxy appends the address it received the request from;
    entries left of the first untrusted one may be forged by the client and are never read)."""
    networks = _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ())))
    remote = request.META.get("REMOTE_ADDR") or None
    address = _address(remote)
    if address is None or not networks:
        return remote

    def trusted(candidate):
        return any(candidate.version == network.version and candidate in network for network in networks)

    if not trusted(address):
        return str(address)
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        hop_address = _address(hop)
        if hop_address is None:
            break  # unreadable: keep the last address a trusted proxy vouched for
        address = hop_address
        if not trusted(hop_address):
            break
    return str(address)
