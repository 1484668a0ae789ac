"""Every form of an ID number or phone the member search accepts stays out of the logs, and search
text never reaches gunicorn's access log (security audit, issue 8, finding 6)."""

import io
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.utils.module_loading import import_string

from portal.logging import mask_personal_data, redact_search_parameters

ROOT = Path(__file__).resolve().parents[2]

# The same two people in the forms a user types or a client sends them.
ID_FORMS = [
    "350500200212012260",
    "350500 20021201 226X",
    "350500-20021201-226X",
    "350500%2020021201%20226X",
    "350500+20021201+226X",
    "３５０５００２００２１２０１２２６Ｘ",
    "%EF%BC%93%EF%BC%95%EF%BC%90%EF%BC%95%EF%BC%90%EF%BC%90200212012260",
    "350500021201226",  # an old 15-digit number
]
PHONE_FORMS = [
    "18703297752",
    "187 0329 7752",
    "187-0329-7752",
    "+8618703297752",
    "+86 187 0329 7752",
    "%2B8618703297752",
    "%2B86%20187%200329%207752",
    "+86+187+0329+7752",
    "008618703297752",
    "１８７０３２９７７５２",
    "%EF%BC%91%EF%BC%98%EF%BC%97%EF%BC%90%EF%BC%93%EF%BC%92%EF%BC%99%EF%BC%97%EF%BC%97%EF%BC%95%EF%BC%92",
    "0596-2345678",
    "0596 234 5678",
]


def digits_of(form):
    """What must not survive masking: the number's distinctive middle, in the form's own spelling."""
    return [piece for piece in ("20021201", "２００２１２０１", "021201", "0329", "０３２９", "%EF%BC%99%EF%BC%97", "2345678", "234 5678") if piece in form]


@pytest.mark.parametrize("form", ID_FORMS + PHONE_FORMS)
def test_every_form_is_masked_in_a_message(form):
    masked = mask_personal_data("member search for {} failed".format(form))
    assert "[id-number]" in masked or "[phone]" in masked, masked
    for piece in digits_of(form):
        assert piece not in masked, masked


@pytest.mark.parametrize(
    "text",
    [
        "org 000001000002 at 2024-05-01 12:00:03,123",  # an organization path, a time
        "took 1234 ms, status 200, 3812345 bytes",
        "token abc13812345678def",  # part of a longer word
    ],
)
def test_ordinary_numbers_are_left_alone(text):
    assert mask_personal_data(text) == text


def test_search_parameters_are_redacted_in_urls():
    line = '"GET /api/v1/members/?organization=B01&q=226X&member_phone=7752&page=2 HTTP/1.1"'
    redacted = redact_search_parameters(line)
    assert "226X" not in redacted and "7752" not in redacted
    assert "q=[redacted]" in redacted and "member_phone=[redacted]" in redacted
    assert "organization=B01" in redacted and "page=2" in redacted
    assert redact_search_parameters("q=226X&page=2", at_start=True) == "q=[redacted]&page=2"
    assert redact_search_parameters("a=b q=x") == "a=b q=x"  # prose, not a URL


def test_the_configured_log_filter_masks_a_dev_server_request_line():
    # The filter exactly as settings.LOGGING configures it, on a handler writing to a buffer.
    filter_class = import_string(settings.LOGGING["filters"]["mask_personal_data"]["()"])
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.addFilter(filter_class())
    logger = logging.getLogger("tests.log_masking")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning('"%s /members/?q=%s HTTP/1.1" 200', "GET", "187+0329+7752")
        logger.warning("import row %s: phone %s, id %s", 3, "+86 187 0329 7752", "350500 20021201 226X")
    finally:
        logger.removeHandler(handler)
    written = buffer.getvalue()
    assert "0329" not in written and "20021201" not in written and "226X" not in written, written
    assert "q=[redacted]" in written and "[phone]" in written and "[id-number]" in written


def _request(sock_path, raw):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(30)
        client.connect(sock_path)
        client.sendall(raw.encode("utf-8"))
        while client.recv(65536):
            pass


def test_gunicorn_access_log_of_a_real_server_keeps_no_search_text(tmp_path):
    """gunicorn started as the README says (``--logger-class portal.logging.GunicornLogger``), with
    an access-log format holding every atom that carries a URL; the requests' search text in every
    accepted form must not reach the file."""
    # A short directory of its own: unix socket paths are limited to about 100 characters.
    sock_dir = tempfile.mkdtemp(prefix="gunicorn-")
    sock_path = os.path.join(sock_dir, "web.sock")
    access_log = tmp_path / "access.log"
    log_format = '%(h)s "%(r)s" %(s)s U=%(U)s q=%(q)s f="%(f)s" ref="%({referer}i)s" orig="%({x-original-uri}i)s"'
    environment = dict(os.environ, DJANGO_SETTINGS_MODULE="portal.settings_test", PYTHONPATH=str(ROOT))
    server = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "portal.wsgi:application",
            "--bind", "unix:" + sock_path, "--workers", "1",
            "--logger-class", "portal.logging.GunicornLogger",
            "--access-logfile", str(access_log), "--access-logformat", log_format,
        ],
        cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not os.path.exists(sock_path):
            assert server.poll() is None, server.stderr.read().decode()
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
        # As a client sends them: URL-encoded (full-width forms as their UTF-8 escapes, listed too).
        forms = [form for form in ID_FORMS + PHONE_FORMS if form.isascii() and " " not in form] + ["226X", "7752"]
        for form in forms:
            _request(
                sock_path,
                "GET /api/v1/members/?organization=B01&q={form}&page=2 HTTP/1.1\r\nHost: localhost\r\n"
                "Referer: http://portal/members/?q={form}\r\nX-Original-URI: /members/?phone={form}\r\n"
                "Connection: close\r\n\r\n".format(form=form),
            )
        # A number in the path itself (no parameter to redact) is masked.
        _request(sock_path, "GET /api/v1/members/187-0329-7752/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        deadline = time.monotonic() + 30
        while access_log.read_text(encoding="utf-8", errors="replace").count("\n") < len(forms) + 1:
            assert time.monotonic() < deadline, "the access log did not get every line"
            time.sleep(0.2)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(sock_dir, ignore_errors=True)
    written = access_log.read_text(encoding="utf-8", errors="replace")
    for form in forms:
        for piece in digits_of(form) + (["226X"] if "226X" in form else []):
            assert piece not in written, (form, written)
    assert "7752" not in written and "0329" not in written
    lines = written.splitlines()
    assert all("q=[redacted]" in line and "organization=B01" in line for line in lines[:-1]), written
    assert "/api/v1/members/[phone]/" in lines[-1]
