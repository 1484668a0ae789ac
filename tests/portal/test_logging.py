"""Personal data never reaches a log line."""

import logging

from portal.logging import MaskPersonalDataFilter, mask_personal_data


def test_mask_personal_data():
    text = "member 35060019850315001X phone 13812345678 office 0596-2345678 org 000001000002"
    masked = mask_personal_data(text)
    assert "35060019850315001X" not in masked and "13812345678" not in masked and "0596-2345678" not in masked
    assert "000001000002" in masked  # organization paths are not personal data


def test_filter_rewrites_formatted_records():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "bad row %s id %s", ("3", "11010519491231002X"), None)
    MaskPersonalDataFilter().filter(record)
    assert "11010519491231002X" not in record.getMessage()
    assert "bad row 3" in record.getMessage()


def test_gunicorn_access_log_masks_personal_data():
    import datetime
    from types import SimpleNamespace

    from gunicorn.config import Config

    from portal.logging import GunicornLogger

    logger = GunicornLogger(Config())
    environ = {
        "REQUEST_METHOD": "GET", "RAW_URI": "/api/v1/members/?q=13812345678", "SERVER_PROTOCOL": "HTTP/1.1",
        "PATH_INFO": "/api/v1/members/", "QUERY_STRING": "q=13812345678",
        "HTTP_REFERER": "http://portal/members/?q=11010519491231002X",
    }
    response = SimpleNamespace(status="200 OK", sent=10, headers=[])
    request = SimpleNamespace(headers=[])
    atoms = logger.atoms(response, request, environ, datetime.timedelta(seconds=0))
    line = " ".join(str(value) for value in atoms.values())
    assert "13812345678" not in line and "11010519491231002X" not in line
    assert "/api/v1/members/" in atoms["r"]
