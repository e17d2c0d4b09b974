"""POST a JSON summary to a webhook with a timeout and retries; failures are never silent.

Used by drift triggers (``--on-drift webhook URL``) and by promotions.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from .errors import MlopsError


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


def post_json(
    url: str, payload: Any, timeout: float = 5.0, retries: int = 2, backoff: float = 0.5
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
