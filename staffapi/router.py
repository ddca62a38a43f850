"""A small router for the staff API.

One declaration per operation feeds the URLs, the checks (method, token,
scope, body) and the OpenAPI document.

Every failure is a JSON error: 400 naming the field, 401 without a valid
token, 403 without the scope, 404 for an unknown id, 405 for another method,
409 when the lifecycle forbids the change. Token-authenticated calls carry no
cookies, so they are exempt from CSRF.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, re_path
from django.views.decorators.csrf import csrf_exempt

from incidents.api.public import json_bytes
from incidents.auditing import acting_via
from incidents.models import ApiToken, InvalidTransition
from incidents.models.tokens import bearer_token
from staffapi.schema import BadInput, Body

logger = logging.getLogger(__name__)

# The actions' argument names, as the API calls them.
FIELD_NAMES = {
    "title": "name",
    "posted_at": "display_at",
    "scheduled_start": "scheduled_for",
    "scheduled_end": "scheduled_until",
    "component_statuses": "components",
}


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


def not_found(what: str) -> ApiError:
    return ApiError(404, "not_found", f"There is no such {what}.")


@dataclass(frozen=True)
class Call:
    """What a handler gets: the request, its token, the parsed body and the path's ids."""

    request: HttpRequest
    token: ApiToken
    data: dict[str, Any]
    params: dict[str, str]

    @property
    def author(self) -> Any:
        return self.token.created_by


Handler = Callable[[Call], tuple[int, Any]]


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # the public id's letter: "i", "m", "c"
    description: str

    @property
    def pattern(self) -> str:
        return f"^{self.kind}[0-9]{{1,18}}$"


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # OpenAPI template under the API's root: "/incidents/{incident_id}/updates"
    operation_id: str
    summary: str
    scope: str | None  # None: any valid token
    handler: Handler
    response: str  # the name of a schema in openapi.SCHEMAS
    status: int = 200
    body: Body | None = None
    params: tuple[Param, ...] = ()
    conflicts: bool = False  # may answer 409 (the lifecycle refuses the change)
    description: str = ""


def error_response(status: int, code: str, message: str, field: str | None = None) -> HttpResponse:
    response = HttpResponse(
        json_bytes({"error": code, "message": message, "field": field}),
        content_type="application/json",
        status=status,
    )
    response["Cache-Control"] = "no-store"
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="statuspage staff API"'
    return response


def _authenticate(request: HttpRequest) -> ApiToken:
    presented = bearer_token(request.headers.get("Authorization", ""))
    if not presented:
        raise ApiError(401, "unauthorized", "Send a token: Authorization: Bearer <token>.")
    token = ApiToken.authenticate(presented)
    if token is None:
        raise ApiError(
            401,
            "unauthorized",
            "This token is unknown, disabled, or its author's account is deactivated.",
        )
    return token


def _read_json(request: HttpRequest) -> object:
    try:
        raw = request.body
    except RequestDataTooBig:
        raise ApiError(400, "invalid", "The request body is too large.") from None
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise ApiError(400, "invalid", "The body is not valid JSON (UTF-8).") from None


def _field_name(name: str) -> str | None:
    """The API's name for an action's field; a translation's "body_nb" is translations.nb.body."""
    if name == "__all__":
        return None
    field, _, language = name.rpartition("_")
    if field and language in dict(settings.LANGUAGES):
        return f"translations.{language}.{field}"
    return FIELD_NAMES.get(name, name)


def _validation_error(error: ValidationError) -> ApiError:
    if hasattr(error, "error_dict"):
        name, messages = next(iter(error.message_dict.items()))
        return ApiError(400, "invalid", " ".join(messages), _field_name(name))
    return ApiError(400, "invalid", " ".join(error.messages))


def _run(operation: Operation, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
    token = _authenticate(request)
    if operation.scope is not None and not token.has_scope(operation.scope):
        token.refused(f"{request.method} {request.path}: lacks the '{operation.scope}' scope.")
        raise ApiError(403, "forbidden", f"This token lacks the '{operation.scope}' scope.")
    data: dict[str, Any] = {}
    if operation.body is not None:
        try:
            data = operation.body.parse(_read_json(request))
        except BadInput as error:
            raise ApiError(400, "invalid", error.message, error.field) from None
    try:
        with acting_via(f"API token {token.name}"):
            status, payload = operation.handler(Call(request, token, data, params))
    except ValidationError as error:
        raise _validation_error(error) from None
    except InvalidTransition as error:
        raise ApiError(409, "conflict", str(error), "status") from None
    except BadInput as error:
        raise ApiError(400, "invalid", error.message, error.field) from None
    response = HttpResponse(json_bytes(payload), content_type="application/json", status=status)
    response["Cache-Control"] = "no-store"
    return response


def path_view(operations: list[Operation]) -> Callable[..., HttpResponse]:
    by_method = {op.method: op for op in operations}
    allowed = ", ".join(sorted({*by_method, *(["HEAD"] if "GET" in by_method else [])}))

    @csrf_exempt
    def view(request: HttpRequest, **params: str) -> HttpResponse:
        method = "GET" if request.method == "HEAD" else request.method
        operation = by_method.get(method or "")
        if operation is None:
            response = error_response(405, "method_not_allowed", f"Use {allowed}.")
            response["Allow"] = allowed
            return response
        try:
            return _run(operation, request, params)
        except ApiError as error:
            return error_response(error.status, error.code, error.message, error.field)

    view.__name__ = view.__qualname__ = operations[0].operation_id
    return view


def _route(template: str) -> str:
    """ "/incidents/{incident_id}/updates" -> "incidents/<str:incident_id>/updates"."""
    parts = [
        f"<str:{part[1:-1]}>" if part.startswith("{") else part
        for part in template.strip("/").split("/")
    ]
    return "/".join(parts)


def urlpatterns_for(operations: list[Operation]) -> list[URLPattern]:
    by_path: dict[str, list[Operation]] = {}
    for operation in operations:
        by_path.setdefault(operation.path, []).append(operation)
    patterns = [path(_route(p), path_view(ops)) for p, ops in by_path.items()]

    @csrf_exempt
    def unknown(request: HttpRequest, rest: str = "") -> HttpResponse:
        return error_response(404, "not_found", "There is no such API endpoint.")

    return [*patterns, re_path(r"^(?P<rest>.*)$", unknown)]
