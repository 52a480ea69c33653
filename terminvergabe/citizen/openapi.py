"""The OpenAPI 3.1 document of the JSON API (citizen/api.py), served at /api/v1/openapi.json.

Kept as plain data next to the API so that a test can compare it with the routes and validate
every response the tests receive against it.
"""

from __future__ import annotations

import copy

API_VERSION = "1.0.0"

# Paths are relative to the server URL /api/v1.
SERVER_URL = "/api/v1"


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str, schema: str = "Error") -> dict:
    return _json(_ref(schema), description)


DATE_TIME = {"type": "string", "format": "date-time"}
NULLABLE_DATE_TIME = {"type": ["string", "null"], "format": "date-time"}

_STRING = {"type": "string"}

_TIME = {
    "type": "object",
    "description": "A time, in the office's time zone (with its UTC offset) and in UTC.",
    "required": ["start", "start_utc"],
    "properties": {
        "start": {**DATE_TIME, "examples": ["2026-03-02T09:30:00+01:00"]},
        "start_utc": {**DATE_TIME, "examples": ["2026-03-02T08:30:00Z"]},
        "end": DATE_TIME,
        "end_utc": DATE_TIME,
    },
    "additionalProperties": False,
}

_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {
                    "type": "string",
                    "description": (
                        "Stable machine-readable code, e.g. not_found, invalid_body, "
                        "malformed_json, unsupported_media_type, bad_selection, bad_date, "
                        "bad_start, no_service, unknown_service, quantity, slot_taken, "
                        "hold_expired, not_held, email_cap, cancelled, cancel_deadline, "
                        "rebook_deadline, http_404, http_405, http_429, internal, unavailable."
                    ),
                },
                "message": {
                    "type": "string",
                    "description": "Readable message in the request's language "
                    "(?lang= or Accept-Language).",
                },
                "fields": {
                    "type": "object",
                    "description": "For invalid_body: a message per field that is missing, "
                    "unknown or wrong (e.g. services[0].quantity).",
                    "additionalProperties": _STRING,
                },
                "alternatives": {
                    "type": "array",
                    "description": "For slot_taken: the nearest free times.",
                    "items": _ref("Time"),
                },
            },
        }
    },
}

_BOOKING_RULES = {
    "type": "object",
    "required": [
        "slot_minutes",
        "horizon_days",
        "lead_minutes",
        "release_time",
        "hold_minutes",
        "max_active_per_email",
        "cancel_deadline_minutes",
        "double_opt_in",
        "opt_in_minutes",
    ],
    "properties": {
        "slot_minutes": {"type": "integer", "description": "Granularity of start times."},
        "horizon_days": {"type": "integer", "description": "How many days ahead can be booked."},
        "lead_minutes": {"type": "integer", "description": "Minimum time before a start."},
        "release_time": {
            "type": "string",
            "pattern": "^[0-2][0-9]:[0-5][0-9]$",
            "description": "Local time of day at which the newest day becomes bookable.",
        },
        "hold_minutes": {"type": "integer", "description": "How long a hold keeps its time."},
        "max_active_per_email": {"type": "integer"},
        "cancel_deadline_minutes": {
            "type": "integer",
            "description": "Cancelling or rebooking online ends this long before the start.",
        },
        "double_opt_in": {
            "type": "boolean",
            "description": "Confirmed bookings stay pending until the emailed link is opened.",
        },
        "opt_in_minutes": {"type": "integer"},
    },
}

_OFFICE = {
    "type": "object",
    "required": ["slug", "name", "address", "time_zone", "bundesland", "booking_rules"],
    "properties": {
        "slug": _STRING,
        "name": _STRING,
        "address": {
            "type": "object",
            "required": ["street", "postcode", "city"],
            "properties": {"street": _STRING, "postcode": _STRING, "city": _STRING},
        },
        "email": _STRING,
        "phone": _STRING,
        "time_zone": {**_STRING, "examples": ["Europe/Berlin"]},
        "bundesland": {**_STRING, "examples": ["NW"]},
        "booking_rules": _ref("BookingRules"),
        "links": {"type": "object", "additionalProperties": _STRING},
    },
}

_SERVICE = {
    "type": "object",
    "required": ["id", "name", "duration_minutes", "max_quantity", "leika_id", "what_to_bring"],
    "properties": {
        "id": {"type": "integer"},
        "name": _STRING,
        "description": _STRING,
        "duration_minutes": {"type": "integer", "minimum": 1},
        "max_quantity": {"type": "integer", "minimum": 1},
        "leika_id": {"type": ["string", "null"], "description": "LeiKa/FIM service key."},
        "what_to_bring": _STRING,
    },
}

_CHOSEN_SERVICE = {
    "type": "object",
    "required": ["id", "quantity"],
    "properties": {"id": {"type": "integer"}, "quantity": {"type": "integer"}},
}

_SELECTION = {
    "type": "object",
    "required": ["office", "time_zone", "services", "duration_minutes"],
    "properties": {
        "office": _STRING,
        "time_zone": _STRING,
        "services": {"type": "array", "items": _ref("ChosenService")},
        "duration_minutes": {"type": "integer"},
    },
}

_DAYS = {
    "allOf": [
        _ref("Selection"),
        {
            "type": "object",
            "required": ["days"],
            "properties": {
                "days": {"type": "array", "items": {"type": "string", "format": "date"}}
            },
        },
    ]
}

_TIMES = {
    "allOf": [
        _ref("Selection"),
        {
            "type": "object",
            "required": ["date", "times"],
            "properties": {
                "date": {"type": "string", "format": "date"},
                "times": {"type": "array", "items": _ref("Time")},
            },
        },
    ]
}

_APPOINTMENT = {
    "type": "object",
    "required": [
        "token",
        "booking_code",
        "status",
        "office",
        "services",
        "start",
        "start_utc",
        "end",
        "end_utc",
        "hold_expires_at",
        "cancel_deadline",
        "can_cancel",
        "can_rebook",
        "locale",
        "contact",
        "checkin_token",
    ],
    "properties": {
        "token": {
            "type": "string",
            "description": "The secret manage token: keep it; it is the only way to the "
            "appointment.",
        },
        "booking_code": {**_STRING, "examples": ["ACDE-FGH3"]},
        "status": {
            "type": "string",
            "enum": [
                "held",
                "pending",
                "confirmed",
                "checked_in",
                "called",
                "in_service",
                "done",
                "cancelled",
                "expired",
                "no_show",
            ],
        },
        "office": _STRING,
        "time_zone": _STRING,
        "services": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "name", "quantity"],
                "properties": {
                    "id": {"type": "integer"},
                    "name": _STRING,
                    "quantity": {"type": "integer"},
                },
            },
        },
        "start": DATE_TIME,
        "start_utc": DATE_TIME,
        "end": DATE_TIME,
        "end_utc": DATE_TIME,
        "hold_expires_at": {
            **NULLABLE_DATE_TIME,
            "description": "When a hold (or a pending opt-in) lapses; null once booked.",
        },
        "cancel_deadline": {
            **DATE_TIME,
            "description": "Until then the appointment can be cancelled or rebooked online.",
        },
        "can_cancel": {"type": "boolean"},
        "can_rebook": {"type": "boolean"},
        "locale": _STRING,
        "contact": {
            "type": "object",
            "required": ["name", "email", "phone"],
            "properties": {"name": _STRING, "email": _STRING, "phone": _STRING},
        },
        "checkin_token": {
            "type": ["string", "null"],
            "description": "What the QR code shown at the front desk encodes (confirmed "
            "appointments only). It cannot cancel or read the appointment.",
        },
        "links": {"type": "object", "additionalProperties": _STRING},
    },
}

_SERVICE_CHOICE = {
    "type": "object",
    "required": ["id"],
    "properties": {
        "id": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
        "quantity": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1, "default": 1},
    },
    "additionalProperties": False,
}

_START = {
    "type": "string",
    "format": "date-time",
    "description": "ISO 8601 time with a UTC offset, e.g. 2026-03-02T09:30:00+01:00.",
}


def _hold_request(languages: list[str]) -> dict:
    return {
        "type": "object",
        "required": ["services", "start"],
        "properties": {
            "services": {"type": "array", "minItems": 1, "items": _ref("ServiceChoice")},
            "start": _START,
            "locale": {
                "type": "string",
                "enum": list(languages),
                "description": "Language of later messages; default: the request's language.",
            },
            "altcha": {
                "type": "string",
                "description": "A solved ALTCHA proof-of-work, where the office asks for one. "
                "Without it a stricter rate limit applies.",
            },
        },
        "additionalProperties": False,
    }


# No control characters (JSON Schema patterns are ECMA-262 regular expressions).
_NO_CONTROL = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"

_CONFIRM_REQUEST = {
    "type": "object",
    "required": ["name", "email"],
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": _NO_CONTROL},
        "email": {"type": "string", "format": "email", "maxLength": 254, "pattern": _NO_CONTROL},
        "phone": {"type": "string", "maxLength": 50, "pattern": "^[0-9 +/()-]*$"},
    },
    "additionalProperties": False,
}

_REBOOK_REQUEST = {
    "type": "object",
    "required": ["start"],
    "properties": {"start": _START},
    "additionalProperties": False,
}

_EMPTY_REQUEST = {"type": "object", "additionalProperties": False}


# -- parameters ------------------------------------------------------------------------------

_PARAMETERS = {
    "slug": {
        "name": "slug",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
        "description": "The office's short name, from GET /offices.",
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
        "description": "Language of error messages; else Accept-Language decides.",
    },
}


def _param(name: str) -> dict:
    return {"$ref": f"#/components/parameters/{name}"}


def _operation(
    operation_id: str, summary: str, responses: dict, parameters=(), body: str | None = None
) -> dict:
    operation = {
        "operationId": operation_id,
        "summary": summary,
        "parameters": [_param(p) for p in (*parameters, "lang")],
        "responses": {**responses, **_UNAVAILABLE, "default": _error("Any other error.")},
    }
    if body:
        operation["requestBody"] = {
            "required": body != "EmptyRequest",
            "content": {"application/json": {"schema": _ref(body)}},
        }
    return operation


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

_TOO_MANY = {
    "429": _error(
        "Too many requests (Retry-After says when to try again), or too many open holds "
        "(code too_many_holds)."
    )
}
_UNAVAILABLE = {
    "503": _error(
        "The database cannot be reached for a moment (code unavailable); nothing was changed. "
        "Retry-After says when to try again."
    )
}
_NOT_FOUND = {"404": _error("No office (or appointment) with this name (or token).")}
_INVALID = {"422": _error("A parameter or field is missing or not valid.")}
_BODY_ERRORS = {
    "400": _error("The body is not a JSON object."),
    "415": _error("The body is not JSON."),
    **_INVALID,
}
_GONE = {"410": _error("The hold lapsed; choose a time again.")}


_PATHS = {
    "/offices": {
        "get": _operation(
            "listOffices",
            "Offices that take appointments",
            {"200": _json(_ref("OfficeList"), "All offices.")},
        )
    },
    "/offices/{slug}/services": {
        "get": _operation(
            "listServices",
            "Services an office offers to the public",
            {"200": _json(_ref("ServiceList"), "The public services."), **_NOT_FOUND},
            ["slug"],
        )
    },
    "/offices/{slug}/days": {
        "get": _operation(
            "listDays",
            "Dates that have free times for a selection of services",
            {
                "200": _json(_ref("Days"), "Dates with free times."),
                **_NOT_FOUND,
                **_INVALID,
                **_TOO_MANY,
            },
            ["slug", "services"],
        )
    },
    "/offices/{slug}/times": {
        "get": _operation(
            "listTimes",
            "Free start times on one date for a selection of services",
            {
                "200": _json(_ref("Times"), "Free start times."),
                **_NOT_FOUND,
                **_INVALID,
                **_TOO_MANY,
            },
            ["slug", "services", "date"],
        )
    },
    "/offices/{slug}/holds": {
        "post": _operation(
            "createHold",
            "Hold a free time for a few minutes",
            {
                "201": {
                    **_json(_ref("Appointment"), "The hold (status held)."),
                    "links": _MANAGE_LINKS,
                },
                **_NOT_FOUND,
                "409": _error("The time is taken (alternatives are listed).", "Error"),
                **_BODY_ERRORS,
                **_TOO_MANY,
            },
            ["slug"],
            body="HoldRequest",
        )
    },
    "/appointments/{token}": {
        "get": _operation(
            "getAppointment",
            "The appointment of a manage token",
            {"200": _json(_ref("Appointment"), "The appointment."), **_NOT_FOUND},
            ["token"],
        )
    },
    "/appointments/{token}/confirm": {
        "post": _operation(
            "confirmAppointment",
            "Confirm a hold with the citizen's contact details",
            {
                "200": {
                    **_json(_ref("Appointment"), "Booked (confirmed, or pending opt-in)."),
                    "links": _MANAGE_LINKS,
                },
                **_NOT_FOUND,
                "409": _error("Already booked, or the email address has too many bookings."),
                **_GONE,
                **_BODY_ERRORS,
                **_TOO_MANY,
            },
            ["token"],
            body="ConfirmRequest",
        )
    },
    "/appointments/{token}/cancel": {
        "post": _operation(
            "cancelAppointment",
            "Cancel a hold or a booking (until the office's cancellation deadline)",
            {
                "200": _json(_ref("Appointment"), "Cancelled."),
                **_NOT_FOUND,
                "409": _error("Already cancelled, or past the cancellation deadline."),
                **_GONE,
                **_BODY_ERRORS,
            },
            ["token"],
            body="EmptyRequest",
        )
    },
    "/appointments/{token}/rebook": {
        "post": _operation(
            "rebookAppointment",
            "Move a booking to another free time",
            {
                "200": _json(_ref("Appointment"), "Moved."),
                **_NOT_FOUND,
                "409": _error("The new time is taken (alternatives listed), or too late."),
                **_GONE,
                **_BODY_ERRORS,
            },
            ["token"],
            body="RebookRequest",
        )
    },
    "/openapi.json": {
        "get": _operation(
            "getOpenApiDocument",
            "This document",
            {"200": _json({"type": "object"}, "The OpenAPI document.")},
        )
    },
}


def document(languages: list[str]) -> dict:
    schemas = {
        "Error": _ERROR,
        "Time": _TIME,
        "BookingRules": _BOOKING_RULES,
        "Office": _OFFICE,
        "OfficeList": {
            "type": "object",
            "required": ["offices"],
            "properties": {"offices": {"type": "array", "items": _ref("Office")}},
        },
        "Service": _SERVICE,
        "ServiceList": {
            "type": "object",
            "required": ["office", "services"],
            "properties": {
                "office": _STRING,
                "services": {"type": "array", "items": _ref("Service")},
            },
        },
        "ChosenService": _CHOSEN_SERVICE,
        "Selection": _SELECTION,
        "Days": _DAYS,
        "Times": _TIMES,
        "Appointment": _APPOINTMENT,
        "ServiceChoice": _SERVICE_CHOICE,
        "HoldRequest": _hold_request(languages),
        "ConfirmRequest": _CONFIRM_REQUEST,
        "RebookRequest": _REBOOK_REQUEST,
        "EmptyRequest": _EMPTY_REQUEST,
    }
    return copy.deepcopy(
        {
            "openapi": "3.1.0",
            "info": {
                "title": "terminvergabe booking API",
                "version": API_VERSION,
                "description": (
                    "Book, confirm, cancel and rebook appointments at citizen offices. "
                    "Times are ISO 8601 with a UTC offset; each time is given in the office's "
                    "time zone and in UTC. Errors are JSON objects {error: {code, message}} "
                    "with a stable code and a message in the request's language."
                ),
            },
            "servers": [{"url": SERVER_URL}],
            "paths": _PATHS,
            "components": {"schemas": schemas, "parameters": _PARAMETERS},
        }
    )
