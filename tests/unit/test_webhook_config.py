"""The ``[webhook]`` table: validation, and delivery with the configured settings against a
real HTTP server on 127.0.0.1 (the server helper of test_core_helpers)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from mlops_jupyter.config import load_config
from mlops_jupyter.errors import ConfigError
from mlops_jupyter.webhook import (
    WebhookError,
    WebhookSettings,
    deliver,
    parse_webhook_settings,
    webhook_settings,
)
from tests.unit import test_core_helpers as helpers

Hook = tuple[str, type[helpers._Handler]]
hook_server = helpers.hook_server  # the same real HTTP server fixture, on 127.0.0.1


def test_defaults_without_a_table(project: Path) -> None:
    assert webhook_settings() == WebhookSettings(timeout=5.0, retries=2, backoff=0.5)
    (project / "mlops.toml").write_text('experiment = "x"\n')
    assert webhook_settings() == WebhookSettings()


def test_table_in_mlops_toml_and_in_pyproject(project: Path) -> None:
    (project / "mlops.toml").write_text("[webhook]\ntimeout = 30\nretries = 0\n")
    s = webhook_settings()
    assert s == WebhookSettings(timeout=30.0, retries=0, backoff=0.5) and isinstance(s.timeout, float)
    (project / "mlops.toml").unlink()
    (project / "pyproject.toml").write_text("[tool.mlops_jupyter.webhook]\nbackoff = 0\ntimeout = 0.25\n")
    assert webhook_settings(load_config(project)) == WebhookSettings(timeout=0.25, retries=2, backoff=0.0)


@pytest.mark.parametrize(
    ("line", "key", "shown"),
    [
        ("timeout = 0", "timeout", "0"),
        ("timeout = -1.5", "timeout", "-1.5"),
        ('timeout = "5"', "timeout", "'5'"),
        ("timeout = true", "timeout", "True"),
        ("timeout = inf", "timeout", "inf"),
        ("retries = -1", "retries", "-1"),
        ("retries = 1.5", "retries", "1.5"),
        ('retries = "2"', "retries", "'2'"),
        ("retries = false", "retries", "False"),
        ("backoff = -0.1", "backoff", "-0.1"),
        ("backoff = nan", "backoff", "nan"),
        ("backoff = [1]", "backoff", "[1]"),
    ],
)
def test_bad_values_name_the_key_and_the_value(project: Path, line: str, key: str, shown: str) -> None:
    (project / "mlops.toml").write_text(f"[webhook]\n{line}\n")
    with pytest.raises(ConfigError) as info:
        webhook_settings()
    msg = info.value.message
    assert "\n" not in msg
    assert f"'{key}' in [webhook] of {project / 'mlops.toml'}" in msg and msg.endswith(f"got {shown}")


def test_unknown_key_suggests_the_closest(project: Path) -> None:
    (project / "mlops.toml").write_text("[webhook]\ntimout = 10\n")
    load_config(project)  # the file itself loads: [webhook] is a known top-level table
    with pytest.raises(ConfigError, match=r"unknown key 'timout' in \[webhook\]") as info:
        webhook_settings()
    assert info.value.hint == "did you mean 'timeout'?" and "\n" not in info.value.message
    with pytest.raises(ConfigError, match="unknown key 'url'") as info:
        parse_webhook_settings({"url": "http://x"})
    assert info.value.hint == "valid keys: backoff, retries, timeout"


def test_webhook_must_be_a_table(project: Path) -> None:
    (project / "mlops.toml").write_text('webhook = "http://x"\n')
    with pytest.raises(ConfigError, match=r"'webhook' in .* must be dict"):
        load_config(project)


def test_configured_timeout_fails_after_retries_plus_one_attempts(project: Path, hook_server: Hook) -> None:
    url, handler = hook_server
    handler.mode = "slow"  # the server answers after 1.5 s
    (project / "mlops.toml").write_text("[webhook]\ntimeout = 0.2\nretries = 2\nbackoff = 0.01\n")
    start = time.monotonic()
    with pytest.raises(WebhookError, match=r"failed after 3 attempt\(s\): timed out"):
        deliver(url, {"event": "test"})
    assert time.monotonic() - start < 1.4  # bounded by the configured timeout, not the server
    deadline = time.monotonic() + 2
    while len(handler.calls) < 3 and time.monotonic() < deadline:  # last request may still be in flight
        time.sleep(0.02)
    assert len(handler.calls) == 3


def test_retries_zero_makes_one_attempt_on_500(project: Path, hook_server: Hook) -> None:
    url, handler = hook_server
    handler.mode = "500"
    (project / "mlops.toml").write_text("[webhook]\nretries = 0\n")
    with pytest.raises(WebhookError, match=r"failed after 1 attempt\(s\): HTTP 500"):
        deliver(url, {})
    assert len(handler.calls) == 1


def test_explicit_settings_override_the_file(project: Path, hook_server: Hook) -> None:
    url, handler = hook_server
    handler.mode = "500"
    (project / "mlops.toml").write_text("[webhook]\nretries = 0\n")
    with pytest.raises(WebhookError, match=r"after 2 attempt"):
        deliver(url, {}, WebhookSettings(timeout=1.0, retries=1, backoff=0.0))
    assert len(handler.calls) == 2
