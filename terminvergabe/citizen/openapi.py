"""The OpenAPI 3.1 document of the JSON API (citizen/api.py), served at /api/v1/openapi.json.

Generated: the schemas come from the pydantic models of citizen/schemas.py, the operations from
the table below, which names for each one its models and every error code it can answer. A
test validates every response the tests receive against this document, error codes included.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from terminvergabe.citizen import schemas

API_VERSION = "1.0.0"

# Paths are relative to the server URL /api/v1.
SERVER_URL = "/api/v1"

# Every error code the API answers, with its HTTP status.
ERROR_STATUS = {
    "bad_characters": 400,
    "too_deep": 400,
    "malformed_json": 400,
    "pow_expired": 400,
    "pow_invalid": 400,
    "pow_replayed": 400,
    "not_found": 404,
    "slot_taken": 409,
    "not_held": 409,
    "cancelled": 409,
    "email_cap": 409,
    "cancel_deadline": 409,
    "rebook_deadline": 409,
    "hold_expired": 410,
    "http_413": 413,
    "unsupported_media_type": 415,
    "invalid_body": 422,
    "bad_selection": 422,
    "bad_date": 422,
    "bad_start": 422,
    "no_service": 422,
    "unknown_service": 422,
    "quantity": 422,
    "no_common_mode": 422,
    "mode": 422,
    "phone_required": 422,
    "unknown_office": 422,
    "unknown_district": 422,
    "http_429": 429,
    "too_many_holds": 429,
    "http_400": 400,
    "http_404": 404,
    "http_405": 405,
    "internal": 500,
    "unavailable": 503,
}

_STATUS_TEXT = {
    400: "The request cannot be read.",
    404: "No municipality, office or appointment with this name or token.",
    409: "Refused in the appointment's present state.",
    410: "The hold lapsed; choose a time again.",
    413: "The request body is too large.",
    415: "The body is not JSON.",
    422: "A parameter or field is missing or not valid.",
    429: "Too many requests (Retry-After says when to try again), or too many open holds.",
    500: "Something went wrong; nothing was changed.",
    503: "The database cannot be reached for a moment; nothing was changed. Retry-After says "
    "when to try again.",
}

# Every request may meet these.
_ALWAYS = ("bad_characters", "http_413", "internal", "unavailable")
_SELECTION = ("bad_selection", "no_service", "unknown_service", "quantity", "no_common_mode")
_BODY = ("malformed_json", "too_deep", "unsupported_media_type", "invalid_body")
# The ways of holding an appointment that the confirmation refuses.
_MODE = ("mode", "phone_required", "no_common_mode")
# A path segment that does not match the route at all answers the router's http_404.
_TOKEN = ("not_found", "http_404", "hold_expired")


@dataclass(frozen=True)
class Operation:
    path: str
    method: str
    operation_id: str
    summary: str
    response: type[BaseModel] | None
    errors: tuple[str, ...] = ()
    parameters: tuple[str, ...] = ()
    body: type[BaseModel] | None = None
    status: int = 200
    links: bool = False
    extra: dict = field(default_factory=dict)


OPERATIONS = (
    Operation(
        "/offices", "get", "listOffices", "Offices that take appointments", schemas.OfficeList
    ),
    Operation(
        "/offices/{slug}/services",
        "get",
        "listServices",
        "Services an office offers to the public",
        schemas.ServiceList,
        ("not_found", "http_404"),
        ("slug",),
    ),
    Operation(
        "/offices/{slug}/days",
        "get",
        "listDays",
        "Dates that have free times for a selection of services",
        schemas.Days,
        ("not_found", "http_404", *_SELECTION, "http_429"),
        ("slug", "services"),
    ),
    Operation(
        "/offices/{slug}/times",
        "get",
        "listTimes",
        "Free start times on one date for a selection of services",
        schemas.Times,
        ("not_found", "http_404", *_SELECTION, "bad_date", "http_429"),
        ("slug", "services", "date"),
    ),
    Operation(
        "/offices/{slug}/holds",
        "post",
        "createHold",
        "Hold a free time for a few minutes",
        schemas.Appointment,
        (
            "not_found",
            "http_404",
            "slot_taken",
            *_BODY,
            *_SELECTION,
            "bad_start",
            "pow_expired",
            "pow_invalid",
            "pow_replayed",
            "http_429",
            "too_many_holds",
        ),
        ("slug",),
        schemas.HoldRequest,
        status=201,
        links=True,
    ),
    Operation(
        "/municipalities",
        "get",
        "listMunicipalities",
        "Municipalities that take appointments here",
        schemas.MunicipalityList,
    ),
    Operation(
        "/municipalities/{slug}",
        "get",
        "getMunicipality",
        "A municipality and who operates its appointment service",
        schemas.MunicipalityDetail,
        ("not_found", "http_404"),
        ("municipality",),
    ),
    Operation(
        "/municipalities/{slug}/services",
        "get",
        "listCatalogue",
        "The municipality's service catalogue, with the offices offering each service",
        schemas.Catalogue,
        ("not_found", "http_404"),
        ("municipality",),
    ),
    Operation(
        "/municipalities/{slug}/offices",
        "get",
        "listMunicipalityOffices",
        "The municipality's offices: address, part of town, how to get there",
        schemas.MunicipalityOffices,
        ("not_found", "http_404"),
        ("municipality",),
    ),
    Operation(
        "/municipalities/{slug}/availability",
        "get",
        "getAvailability",
        "The earliest free time and the days with free times at each office offering a "
        "selection of services",
        schemas.Availability,
        ("not_found", "http_404", *_SELECTION, "unknown_office", "unknown_district", "http_429"),
        ("municipality", "services", "offices", "district"),
    ),
    Operation(
        "/appointments/{token}",
        "get",
        "getAppointment",
        "The appointment of a manage token",
        schemas.Appointment,
        ("not_found", "http_404"),
        ("token",),
    ),
    Operation(
        "/appointments/{token}/confirm",
        "post",
        "confirmAppointment",
        "Confirm a hold with the citizen's contact details",
        schemas.Appointment,
        (*_TOKEN, "not_held", "cancelled", "email_cap", *_BODY, "http_429", *_MODE),
        ("token",),
        schemas.ConfirmRequest,
        links=True,
    ),
    Operation(
        "/appointments/{token}/cancel",
        "post",
        "cancelAppointment",
        "Cancel a hold or a booking (until the office's cancellation deadline)",
        schemas.Appointment,
        (*_TOKEN, "cancelled", "cancel_deadline", *_BODY),
        ("token",),
        schemas.EmptyRequest,
    ),
    Operation(
        "/appointments/{token}/rebook",
        "post",
        "rebookAppointment",
        "Move a booking to another free time",
        schemas.Appointment,
        (*_TOKEN, "slot_taken", "rebook_deadline", "bad_start", *_BODY),
        ("token",),
        schemas.RebookRequest,
    ),
    Operation(
        "/openapi.json",
        "get",
        "getOpenApiDocument",
        "This document",
        None,
        extra={"type": "object"},
    ),
)

_PARAMETERS = {
    "slug": {
        "name": "slug",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
        "description": "The office's short name, from GET /offices.",
    },
    "municipality": {
        "name": "slug",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
        "description": "The municipality's short name, from GET /municipalities.",
    },
    "offices": {
        "name": "offices",
        "in": "query",
        "required": False,
        "schema": {"type": "string"},
        "examples": {"two": {"value": "mitte,nord"}},
        "description": "Office slugs, comma-separated; default: every office of the municipality.",
    },
    "district": {
        "name": "district",
        "in": "query",
        "required": False,
        "schema": {"type": "string"},
        "description": "Only offices in this part of town (see GET .../offices).",
    },
    "token": {
        "name": "token",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
        "description": "The appointment's manage token (from the hold).",
    },
    "services": {
        "name": "services",
        "in": "query",
        "required": True,
        "schema": {"type": "string"},
        "examples": {"two": {"value": "12:2,15:1"}},
        "description": "Service id : quantity, comma-separated (a bare id means once).",
    },
    "date": {
        "name": "date",
        "in": "query",
        "required": True,
        "schema": {"type": "string", "format": "date"},
        "description": "A date in the office's time zone, YYYY-MM-DD.",
    },
    "lang": {
        "name": "lang",
        "in": "query",
        "required": False,
        "schema": {"type": "string"},
        "description": "Language of error messages and of translated service texts; else "
        "Accept-Language decides.",
    },
}

# What a client does next with the token of a hold or booking (OpenAPI links).
_MANAGE_LINKS = {
    name: {"operationId": operation, "parameters": {"token": "$response.body#/token"}}
    for name, operation in (
        ("get", "getAppointment"),
        ("confirm", "confirmAppointment"),
        ("cancel", "cancelAppointment"),
        ("rebook", "rebookAppointment"),
    )
}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error_responses(codes: tuple[str, ...]) -> dict:
    """One response per status, its schema the Error whose code is one of this status's."""
    by_status: dict[int, list[str]] = {}
    for code in dict.fromkeys((*codes, *_ALWAYS)):
        by_status.setdefault(ERROR_STATUS[code], []).append(code)
    responses = {}
    for status, found in sorted(by_status.items()):
        schema = {
            "allOf": [
                _ref("Error"),
                {"properties": {"error": {"properties": {"code": {"enum": found}}}}},
            ]
        }
        text = f"{_STATUS_TEXT[status]} Codes: {', '.join(found)}."
        responses[str(status)] = _json(schema, text)
    return responses


def _operation(operation: Operation) -> dict:
    success = _ref(operation.response.__name__) if operation.response else operation.extra
    answer = _json(success, operation.summary + ".")
    if operation.links:
        answer["links"] = _MANAGE_LINKS
    out = {
        "operationId": operation.operation_id,
        "summary": operation.summary,
        "parameters": [
            {"$ref": f"#/components/parameters/{name}"} for name in (*operation.parameters, "lang")
        ],
        "responses": {
            str(operation.status): answer,
            **_error_responses(operation.errors),
            "default": _json(_ref("Error"), "Any other error (e.g. http_405: another method)."),
        },
    }
    if operation.body is not None:
        out["requestBody"] = {
            "required": operation.body is not schemas.EmptyRequest,
            "content": {"application/json": {"schema": _ref(operation.body.__name__)}},
        }
    return out


def _schemas(languages: list[str]) -> dict:
    models = [(o.body, "validation") for o in OPERATIONS if o.body]
    models += [(o.response, "serialization") for o in OPERATIONS if o.response]
    models.append((schemas.Error, "validation"))
    _keys, found = models_json_schema(models, ref_template="#/components/schemas/{model}")
    definitions = _without_null_defaults(found["$defs"])
    definitions["HoldRequest"]["properties"]["locale"]["enum"] = list(languages)
    definitions["ErrorBody"]["properties"]["code"]["enum"] = list(ERROR_STATUS)
    return definitions


def _without_null_defaults(value):
    """pydantic writes `default: null` for an optional field that is not nullable; JSON Schema
    would read it as a permitted value."""
    if isinstance(value, dict):
        return {
            k: _without_null_defaults(v) for k, v in value.items() if (k, v) != ("default", None)
        }
    if isinstance(value, list):
        return [_without_null_defaults(v) for v in value]
    return value


def document(languages: list[str]) -> dict:
    paths: dict[str, dict] = {}
    for operation in OPERATIONS:
        paths.setdefault(operation.path, {})[operation.method] = _operation(operation)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "terminvergabe booking API",
            "version": API_VERSION,
            "description": (
                "Find a service in a municipality's catalogue and the earliest free time "
                "across its offices; book, confirm, cancel and rebook appointments. "
                "Times are ISO 8601 with a UTC offset; each time is given in the office's "
                "time zone and in UTC. Errors are JSON objects {error: {code, message}} "
                "with a stable code and a message in the request's language."
            ),
        },
        "servers": [{"url": SERVER_URL}],
        "paths": paths,
        "components": {"schemas": _schemas(languages), "parameters": _PARAMETERS},
    }
