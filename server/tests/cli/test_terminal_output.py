"""What the CLI prints is the value itself: no Rich markup, no terminal escapes, no truncation."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SECRET_KEY

JPAY_SERVER = str(Path(sys.executable).parent / "jpay-server")


@pytest.fixture
def cli(database_url, tmp_path):
    """Run the real `jpay-server` in a terminal `columns` wide; returns (status, out, err)."""

    def invoke(*args: str, columns: int = 80) -> tuple[int, str, str]:
        env = os.environ | {
            "JPAY_DATABASE_URL": database_url,
            "JPAY_SECRET_KEY": SECRET_KEY,
            "JPAY_VAR_DIR": str(tmp_path / "var"),
            "COLUMNS": str(columns),
        }
        done = subprocess.run(
            [JPAY_SERVER, *args], env=env, capture_output=True, text=True, timeout=60, check=False
        )
        return done.returncode, done.stdout, done.stderr

    return invoke


@pytest.fixture
def app_code(cli) -> str:
    status, out, err = cli("merchants", "create", "--name", "Acme", "--approved", "--json")
    assert status == 0, err
    mid = str(json.loads(out)["merchant_id"])
    status, out, err = cli("apps", "create", "--merchant", mid, "--json")
    assert status == 0, err
    return str(json.loads(out)["app_code"])


@pytest.mark.parametrize("command", [("apps", "create", "--merchant"), ("apps", "rotate-secret")])
def test_a_secret_shown_once_is_never_truncated_in_a_narrow_terminal(cli, app_code, command):
    argument = "1" if command[1] == "create" else app_code
    status, out, err = cli(*command, argument, columns=30)
    assert status == 0, err
    assert re.search(r"^app_secret +jpay_sk_[A-Za-z0-9_-]{43}$", out, re.MULTILINE), out
    if command[1] == "create":
        assert re.search(r"^webhook_secret +whsec_[A-Za-z0-9+/=]{40,}$", out, re.MULTILINE), out


def test_markup_in_a_stored_url_is_printed_as_is(cli, app_code):
    url = "http://127.0.0.1:9/[/]x[bold]y[link=http://evil]z"
    status, out, err = cli("apps", "set-webhook-url", app_code, url)
    assert status == 0, err
    assert url in out
    status, out, err = cli("apps", "show", app_code)
    assert status == 0, err
    assert url in out


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/\x1b[2J\x1b[31mred",
        "http://127.0.0.1:9/\x1b]8;;http://evil\x07x",
        "http://127.0.0.1:9/\x9b31m",
        "http://127.0.0.1:9/\u202egnp.exe",
        "http://127.0.0.1:9/a\x7fb",
        "http://127.0.0.1:9/a\x08b",
    ],
)
def test_control_characters_in_a_url_are_refused(cli, app_code, url):
    status, out, err = cli("apps", "set-webhook-url", app_code, url)
    assert (status, out) == (1, "")
    assert err == "error: webhook_url must be an absolute http(s) URL\n"
