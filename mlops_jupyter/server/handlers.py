"""REST handlers of the side panel: thin translations of HTTP into :mod:`.services` calls.

Every method is ``@tornado.web.authenticated`` and ``@authorized`` (jupyter_server's
authorizer, resource :data:`AUTH_RESOURCE`); POSTs go through jupyter_server's XSRF check
for cookie-authenticated requests. Blocking MLflow/DVC work runs in a thread pool, never
on the event loop. One base class turns :class:`MlopsError` into a JSON reply with the
error's ``http_status``; nothing else of an exception (no traceback, no header, no token)
reaches the client.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from tornado import web
from tornado.ioloop import IOLoop

from ..errors import MlopsError, MlopsUsageError
from . import services
from .paths import RootPath, confine

AUTH_RESOURCE = "mlops"
MAX_BODY_BYTES = 1024 * 1024
EXECUTOR = ThreadPoolExecutor(max_workers=4, thread_name_prefix="mlops-jupyter")
_RUN_ID = r"[A-Za-z0-9_\-]{1,64}"
_MLFLOW_RUN_ID = r"[A-Za-z0-9][A-Za-z0-9_\-]{0,63}"
EXPORT_OPTIONS = {"target": str, "mode": str, "out": str, "name": str}

T = TypeVar("T")


class BodyTooLarge(MlopsError):
    """A request body over :data:`MAX_BODY_BYTES`."""

    http_status = 413


class BadRequest(MlopsError):
    """A body or query argument that is not what the route accepts."""

    http_status = 400


class MlopsHandler(APIHandler):
    """Base of every route: root confinement, JSON bodies, errors as JSON, thread pool."""

    auth_resource = AUTH_RESOURCE

    @property
    def root_dir(self) -> str:
        """The contents manager's root: no path argument may leave it."""
        root = getattr(self.contents_manager, "root_dir", None) or self.settings.get("server_root_dir")
        return str(root)

    @property
    def allow_hidden(self) -> bool:
        return bool(getattr(self.contents_manager, "allow_hidden", False))

    def confined(self, path: str, must_exist: bool = False) -> RootPath:
        """``path`` checked against the root (400 / 403 / 404 otherwise)."""
        return confine(self.root_dir, path, allow_hidden=self.allow_hidden, must_exist=must_exist)

    def raw_query_arg(self, name: str) -> str | None:
        """A query argument exactly as sent (tornado's getters silently drop control
        characters, which would turn ``x%00`` into an innocent-looking ``x``)."""
        values = self.request.query_arguments.get(name)
        if not values:
            return None
        try:
            return values[-1].decode("utf-8")
        except UnicodeDecodeError:
            raise BadRequest(f"'{name}' is not valid UTF-8") from None

    def notebook_arg(self) -> RootPath | None:
        """The optional ``notebook`` query argument, confined to the root."""
        value = self.raw_query_arg("notebook")
        return self.confined(value) if value is not None else None

    async def blocking(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn`` in the extension's thread pool (MLflow and DVC calls block)."""
        return await IOLoop.current().run_in_executor(EXECUTOR, partial(fn, *args, **kwargs))

    def json_body(self) -> dict[str, Any]:
        """The request body as a JSON object: 413 when huge, 400 when not JSON."""
        body = self.request.body or b""
        if len(body) > MAX_BODY_BYTES:
            raise BodyTooLarge(f"request body over {MAX_BODY_BYTES // 1024} KiB")
        ctype = self.request.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if ctype != "application/json":
            raise BadRequest("Content-Type must be application/json")
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise BadRequest("request body is not valid JSON") from None
        except RecursionError:  # e.g. 200 kB of "[": within the size cap, too deep to parse
            raise BadRequest("request body is nested too deeply") from None
        if not isinstance(data, dict):
            raise BadRequest("request body must be a JSON object")
        return data

    def reply(self, payload: Any) -> None:
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(payload, allow_nan=False, default=str))

    def _handle_request_exception(self, e: BaseException) -> None:
        # Our own errors carry their HTTP status; everything else is tornado's business.
        if isinstance(e, MlopsError) and not self._finished:
            self.log.info("mlops-jupyter %s %s: %s", self.request.method, self.request.path, e.one_line())
            self.send_error(e.http_status, exc_info=sys.exc_info())
            return
        super()._handle_request_exception(e)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Errors as ``{"error", "message", "hint"}``: never a traceback or a credential."""
        from ..tracking.query import scrub

        exc = (kwargs.get("exc_info") or (None, None, None))[1]
        if isinstance(exc, MlopsError):
            body = exc.to_dict()
        elif isinstance(exc, web.HTTPError):
            body = {"error": "HTTPError", "message": exc.log_message or exc.reason or str(status_code), "hint": None}
        else:
            body = {"error": "InternalError", "message": "internal error (details in the server log)", "hint": None}
        token = getattr(self, "token", None)
        for key in ("message", "hint"):
            if isinstance(body.get(key), str):
                text = scrub(body[key])
                if token:
                    text = text.replace(token, "***")
                body[key] = text
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body, default=str))


def _int_arg(handler: MlopsHandler, name: str, default: int, low: int, high: int) -> int:
    raw = handler.get_query_argument(name, None)
    if raw is None:
        return default
    if not re.fullmatch(r"\d{1,6}", raw):
        raise BadRequest(f"'{name}' must be a whole number")
    value = int(raw)
    if not low <= value <= high:
        raise BadRequest(f"'{name}' must be between {low} and {high}")
    return value


MAX_PAGE_OFFSET = 10**9


def page_token(token: str | None) -> str | None:
    """A page token as the store hands them out (base64 JSON ``{"offset": n}``, MLflow's
    format, also for our metric-sorted pages), checked before it reaches the store: a
    forged one is a 400, never an OverflowError (500) or a store error (502)."""
    if token is None:
        return None
    try:
        if len(token) > 2000 or not re.fullmatch(r"[A-Za-z0-9+/=]+", token):
            raise ValueError
        data = json.loads(base64.b64decode(token.encode("ascii"), validate=True))
        offset = data["offset"] if isinstance(data, dict) and set(data) == {"offset"} else None
        if not isinstance(offset, int) or isinstance(offset, bool) or not 0 <= offset <= MAX_PAGE_OFFSET:
            raise ValueError
    except (ValueError, TypeError, binascii.Error, RecursionError):
        raise BadRequest("invalid page token", hint="start again from the first page") from None
    return token


class HealthHandler(MlopsHandler):
    """GET: store reachable, versions, active profile, available topics."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.reply(await self.blocking(services.health, self.root_dir))


class ExperimentsHandler(MlopsHandler):
    """GET: experiments of the active profile's store."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.reply(await self.blocking(services.experiments, self.root_dir))


class RunsHandler(MlopsHandler):
    """GET: one page of runs, filtered by notebook and status, sorted by any metric."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        nb = self.notebook_arg()
        order = self.get_query_argument("order", "desc").lower()
        if order not in ("asc", "desc"):
            raise BadRequest("'order' must be asc or desc")
        experiment = self.get_query_argument("experiment", None) or None
        token = page_token(self.get_query_argument("page_token", None) or None)
        query: dict[str, Any] = {
            "status": self.get_query_argument("status", None) or None,
            "sort": self.get_query_argument("sort", None) or None,
            "descending": order == "desc",
            "page_size": _int_arg(self, "page_size", 50, 1, 500),
            "page_token": token,
        }
        notebook = (nb.real, nb.relative) if nb else None
        self.reply(await self.blocking(services.runs, self.root_dir, notebook, experiment, **query))


class RunHandler(MlopsHandler):
    """GET: one run with params, metric histories, tags, artifacts and its snapshot link."""

    @web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        if not re.fullmatch(_MLFLOW_RUN_ID, run_id):  # MLflow's own rule: its refusal was a 502
            raise BadRequest(f"'{run_id}' is not a run id", hint="run ids start with a letter or a digit")
        nb = self.notebook_arg()
        self.reply(
            await self.blocking(services.run_details, self.root_dir, run_id, nb.real if nb else None)
        )


class DatasetsHandler(MlopsHandler):
    """GET: dataset pins and their status (or why data versioning is not available)."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        nb = self.notebook_arg()
        self.reply(await self.blocking(services.datasets, self.root_dir, nb.real if nb else None))


class ChecksHandler(MlopsHandler):
    """GET: the latest validation, drift and gate verdicts of a notebook."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        nb = self.notebook_arg()
        notebook = (nb.real, nb.relative) if nb else None
        self.reply(await self.blocking(services.checks, self.root_dir, notebook))


class ServicesHandler(MlopsHandler):
    """GET: the project's model services, their health and their last window of traffic."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        nb = self.notebook_arg()
        self.reply(await self.blocking(services.serving, self.root_dir, nb.real if nb else None))


class ExportHandler(MlopsHandler):
    """POST ``{"path": NOTEBOOK, ...options}``: export it as a job folder; reply the spec."""

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.json_body()
        path = body.pop("path", None)
        if not isinstance(path, str):
            raise BadRequest("'path' (the notebook, relative to the server root) is required")
        unknown = sorted(set(body) - set(EXPORT_OPTIONS))
        if unknown:
            raise BadRequest(f"unknown option(s): {', '.join(unknown)}", hint=f"allowed: path, {', '.join(EXPORT_OPTIONS)}")
        for key, kind in EXPORT_OPTIONS.items():
            if key in body and not isinstance(body[key], kind):
                raise BadRequest(f"'{key}' must be a {kind.__name__}")
        if not path.endswith(".ipynb"):
            raise MlopsUsageError("only notebooks (.ipynb) can be exported")
        nb = self.confined(path, must_exist=True)
        options = dict(body)
        if "out" in options:
            options["out"] = self.confined(options["out"]).real
        self.reply(await self.blocking(services.export, self.root_dir, nb.real, options))


ROUTES: list[tuple[str, type[MlopsHandler]]] = [
    ("health", HealthHandler),
    ("experiments", ExperimentsHandler),
    ("runs", RunsHandler),
    (f"runs/({_RUN_ID})", RunHandler),
    ("datasets", DatasetsHandler),
    ("checks", ChecksHandler),
    ("services", ServicesHandler),
    ("export", ExportHandler),
]


def handlers(base_url: str) -> list[tuple[str, type[MlopsHandler]]]:
    """The URL patterns of every route under ``base_url/mlops-jupyter/``."""
    from jupyter_server.utils import url_path_join

    return [(url_path_join(base_url, "mlops-jupyter", route) + "/?", cls) for route, cls in ROUTES]


__all__ = ["AUTH_RESOURCE", "ROUTES", "MlopsHandler", "handlers"]
