"""Lock-out behind a reverse proxy (security audit, issue 8, finding 8): the client address comes
from X-Forwarded-For only as far as trusted proxies wrote it (``TRUSTED_PROXIES``)."""

import pytest
from django.test import RequestFactory
from rest_framework.test import APIClient

from portal.client_ip import client_ip_address, parse_trusted_proxies
from tests.portal.test_settings_env import import_settings

PROXY = "10.0.0.5"
CLIENT_A, CLIENT_B = "203.0.113.7", "198.51.100.9"


def address(remote, forwarded=None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip_address(RequestFactory().get("/", **meta))


def test_without_trusted_proxies_the_peer_is_the_client(settings):
    settings.TRUSTED_PROXIES = []
    assert address(PROXY, CLIENT_A) == PROXY


def test_behind_a_trusted_proxy_the_right_most_untrusted_address_is_the_client(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24", "fd00::/8"]
    assert address(PROXY, CLIENT_A) == CLIENT_A
    # The client's own forged entries are left of what the proxy appended: never read.
    assert address(PROXY, "1.2.3.4, " + CLIENT_A) == CLIENT_A
    # Two trusted proxies in a row (a load balancer, then nginx).
    assert address(PROXY, "1.2.3.4, {}, 10.0.0.9".format(CLIENT_A)) == CLIENT_A
    assert address("fd00::1", "[2001:db8::7]:4711") == "2001:db8::7"
    assert address("::ffff:10.0.0.5", CLIENT_A + ":5678") == CLIENT_A
    # No header, or only garbage: the proxy is all we know.
    assert address(PROXY) == PROXY
    assert address(PROXY, "unknown") == PROXY


def test_an_untrusted_peer_cannot_forge_its_address(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    assert address(CLIENT_B, "10.0.0.7, " + CLIENT_A) == CLIENT_B


def test_trusted_proxies_must_be_addresses_or_networks():
    assert parse_trusted_proxies(["10.0.0.5", " 10.1.0.0/16", "fd00::/8"]) == ["10.0.0.5/32", "10.1.0.0/16", "fd00::/8"]
    result = import_settings(TRUSTED_PROXIES="10.0.0.5,nginx.internal")
    assert result.returncode != 0 and "TRUSTED_PROXIES" in result.stderr and "nginx.internal" in result.stderr
    assert import_settings(TRUSTED_PROXIES="10.0.0.5, 10.1.0.0/16").returncode == 0


def login(client_address, password, remote=PROXY, username="county_staff"):
    return APIClient(REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=client_address).post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json"
    )


@pytest.mark.django_db
def test_behind_a_trusted_proxy_failures_from_one_client_do_not_lock_another(users, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    for _ in range(settings.AXES_FAILURE_LIMIT):
        assert login(CLIENT_A, "wrong").status_code in (400, 429)  # the last failure locks
    assert login(CLIENT_A, "pw-county_staff").status_code != 201  # A is locked out
    assert login(CLIENT_B, "pw-county_staff").status_code == 201  # B, behind the same proxy, is not


@pytest.mark.django_db
def test_from_an_untrusted_peer_a_forged_forwarded_for_is_ignored(users, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    attacker = "198.51.100.66"
    for number in range(settings.AXES_FAILURE_LIMIT):
        # A new forged client address every time: it must not buy new attempts.
        login("192.0.2.{}".format(number), "wrong", remote=attacker)
    assert login("192.0.2.200", "pw-county_staff", remote=attacker).status_code != 201
