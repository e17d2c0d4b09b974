"""POST a JSON summary to a webhook with a timeout and retries; failures are never silent.

Used by drift triggers (``--on-drift webhook URL``) and by promotions. Both deliver with
:func:`deliver`, which takes the timeout, retries and backoff from the ``[webhook]`` table
of the project config (:func:`webhook_settings`); :func:`post_json` is the bare transport.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from .config import ProjectConfig, check_keys
from .errors import ConfigError, MlopsError

DEFAULT_TIMEOUT_S = 5.0
DEFAULT_RETRIES = 2
DEFAULT_BACKOFF_S = 0.5
WEBHOOK_KEYS = ("timeout", "retries", "backoff")


class WebhookError(MlopsError):
    """The webhook did not accept the notification after every retry."""

    exit_code = 2
    http_status = 502


@dataclass(frozen=True)
class WebhookResult:
    url: str
    status: int
    attempts: int
    elapsed_s: float


@dataclass(frozen=True)
class WebhookSettings:
    """How webhooks are delivered: per-attempt ``timeout`` (s), ``retries`` after the first
    attempt, and ``backoff`` (s; the n-th retry waits ``backoff * n``)."""

    timeout: float = DEFAULT_TIMEOUT_S
    retries: int = DEFAULT_RETRIES
    backoff: float = DEFAULT_BACKOFF_S


def _is_number(value: Any) -> bool:
    # TOML booleans are ints to Python; `timeout = true` is a mistake, not 1 second.
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value


def parse_webhook_settings(table: dict[str, Any], where: str = "[webhook]") -> WebhookSettings:
    """Validate a ``[webhook]`` table into :class:`WebhookSettings` (absent keys: defaults).

    Raises :class:`~mlops_jupyter.errors.ConfigError` naming the key and the value for an
    unknown key, a wrong type or a value out of range.
    """
    check_keys(where, table, set(WEBHOOK_KEYS))
    timeout = table.get("timeout", DEFAULT_TIMEOUT_S)
    if not _is_number(timeout) or timeout <= 0 or timeout == float("inf"):
        raise ConfigError(f"'timeout' in {where} must be a number of seconds > 0, got {timeout!r}",
                          hint="e.g. timeout = 10.0")
    retries = table.get("retries", DEFAULT_RETRIES)
    if not isinstance(retries, int) or isinstance(retries, bool) or retries < 0:
        raise ConfigError(f"'retries' in {where} must be an integer >= 0, got {retries!r}",
                          hint="e.g. retries = 0 (one attempt only)")
    backoff = table.get("backoff", DEFAULT_BACKOFF_S)
    if not _is_number(backoff) or backoff < 0 or backoff == float("inf"):
        raise ConfigError(f"'backoff' in {where} must be a number of seconds >= 0, got {backoff!r}",
                          hint="e.g. backoff = 0.5")
    return WebhookSettings(timeout=float(timeout), retries=retries, backoff=float(backoff))


def webhook_settings(config: ProjectConfig | None = None) -> WebhookSettings:
    """The ``[webhook]`` table of ``config`` (default: the session's project config), validated."""
    if config is None:
        from .session import session

        config = session.config()
    return parse_webhook_settings(config.section("webhook"), f"[webhook] of {config.describe_source()}")


def deliver(url: str, payload: Any, settings: WebhookSettings | None = None) -> WebhookResult:
    """POST ``payload`` to ``url`` with ``settings`` (default: :func:`webhook_settings`).

    Raises :class:`WebhookError` when no attempt succeeded.
    """
    s = settings if settings is not None else webhook_settings()
    return post_json(url, payload, timeout=s.timeout, retries=s.retries, backoff=s.backoff)


def post_json(
    url: str, payload: Any, timeout: float = DEFAULT_TIMEOUT_S, retries: int = DEFAULT_RETRIES,
    backoff: float = DEFAULT_BACKOFF_S,
) -> WebhookResult:
    """POST ``payload`` as JSON; retry on 5xx, timeouts and connection errors; 4xx is final.

    Raises :class:`WebhookError` naming the last failure when no attempt succeeded.
    """
    if not url.startswith(("http://", "https://")):
        raise WebhookError(f"webhook URL must be http(s): {url!r}")
    body = json.dumps(payload, default=str).encode()
    start = time.monotonic()
    last = ""
    for attempt in range(1, retries + 2):
        req = urllib.request.Request(
            url, data=body, method="POST",
            headers={"Content-Type": "application/json", "User-Agent": "mlops-jupyter"},
        )
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return WebhookResult(url, resp.status, attempt, time.monotonic() - start)
        except urllib.error.HTTPError as exc:
            last = f"HTTP {exc.code}"
            if exc.code < 500:
                break
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            last = "timed out" if isinstance(reason, TimeoutError) or "timed out" in str(reason) else str(reason)
        if attempt <= retries:
            time.sleep(backoff * attempt)
    raise WebhookError(
        f"webhook {url} failed after {attempt} attempt(s): {last}",
        hint="check the URL and that the receiver is up; the event was not delivered",
    )
