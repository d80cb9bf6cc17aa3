"""A bad setting is named with its value, its problem and the allowed range, never a bare count."""

from __future__ import annotations

import sys

import pytest

from jpay_server.cli.main import main
from jpay_server.settings import SettingsError
from tests.conftest import SECRET_KEY


def test_each_bad_setting_is_named_with_its_value_and_range(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("JPAY_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("JPAY_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("JPAY_ACCESS_TOKEN_LIFETIME", "5")
    monkeypatch.setenv("JPAY_WEBHOOK_TIMEOUT", "abc")
    monkeypatch.setenv("JPAY_RATE_LIMIT_TOKEN_PER_IP", "3/week")
    monkeypatch.setenv("JPAY_DATABASE_URL", "postgresql+asyncpg://jpay:hunter2-pw@db/jpay")
    monkeypatch.setenv("JPAY_ENV", "prod")
    monkeypatch.setattr(sys, "argv", ["jpay-server", "merchants", "list"])
    with pytest.raises(SystemExit) as exited:
        main()
    err = capsys.readouterr().err
    assert exited.value.code == 1
    assert err.count("\n") == 1
    assert err.startswith("error: 4 invalid settings: ")
    assert "JPAY_ACCESS_TOKEN_LIFETIME='5'" in err
    assert "(allowed: at least 10 and at most 86400)" in err
    assert "JPAY_WEBHOOK_TIMEOUT='abc'" in err
    assert "(allowed: more than 0 and at most 60)" in err
    assert "JPAY_RATE_LIMIT_TOKEN_PER_IP='3/week'" in err
    assert "hunter2" not in err
    assert "JPAY_ENV='prod'" in err
    assert "'development', 'sandbox' or 'production'" in err


def test_a_fractional_range_is_shown_as_configured(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("JPAY_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("JPAY_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("JPAY_ACCESS_STATE_POLL_INTERVAL", "2")
    monkeypatch.setattr(sys, "argv", ["jpay-server", "merchants", "list"])
    with pytest.raises(SystemExit):
        main()
    err = capsys.readouterr().err
    assert "JPAY_ACCESS_STATE_POLL_INTERVAL='2'" in err
    assert "(allowed: more than 0 and at most 1.0)" in err


def test_a_log_level_is_taken_in_any_case(make_settings):
    assert make_settings(log_level="warning").log_level == "WARNING"
    with pytest.raises(SettingsError, match="JPAY_LOG_LEVEL='loud'"):
        make_settings(log_level="loud")
