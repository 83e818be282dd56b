"""The OpenAPI description of the kiosk's HTTP API, served at /openapi.json."""

from __future__ import annotations

from typing import Any

from .. import __version__
from ..dialogue import Bot
from ..reply import ESCALATIONS, KINDS
from .payloads import max_chars

NULLABLE_STRING = {"type": ["string", "null"]}


def _json(schema: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


def _error(description: str) -> dict[str, Any]:
    return _json("Error", description)


def openapi(bot: Bot) -> dict[str, Any]:
    """An OpenAPI 3.1 document for this bot's limits."""
    session_id = [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"},
                   "description": "the id POST /api/sessions returned"}]
    reply = {
        "type": "object",
        "properties": {
            "text": {"type": "string", "description": "everything to show, as plain text"},
            "body": {"type": "string", "description": "the answer, clarification, fallback or escalation itself"},
            "disclaimer": {"type": "string"},
            "kind": {"enum": list(KINDS)},
            "intent": NULLABLE_STRING,
            "escalation": {"enum": [*ESCALATIONS, None]},
            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
            "source": NULLABLE_STRING,
            "source_title": NULLABLE_STRING,
            "suggestions": {"type": "array", "items": {"type": "string"},
                            "description": "follow-up questions; for kind clarify, the options"},
            "rule": NULLABLE_STRING,
            "resources": {"type": ["string", "null"], "description": "crisis resources kept visible after a crisis"},
            "notice": NULLABLE_STRING,
            "short": {"type": ["string", "null"],
                      "description": "for answers, the answer in one line, to show first (with the full text on request)"},
        },
        "required": ["text", "body", "disclaimer", "kind", "suggestions"],
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "psychoed kiosk API", "version": __version__,
                 "description": "General information about antidepressants for pain, neuromodulators and talk "
                                "therapy. Not medical advice. Sessions end after idle_timeout seconds without a message."},
        "paths": {
            "/healthz": {"get": {"summary": "Is the server up", "responses": {"200": _json("Health", "up")}}},
            "/api/info": {"get": {"summary": "Welcome text, examples, disclaimer, crisis line and limits",
                                  "responses": {"200": _json("Info", "what to show before the first question")}}},
            "/api/sessions": {"post": {"summary": "Start a session for one patient",
                                       "responses": {"201": _json("Created", "the new session"),
                                                     "403": _error("sent from a page on another site")}}},
            "/api/sessions/{id}/messages": {"post": {
                "summary": "Send one message and get the reply",
                "parameters": session_id,
                "requestBody": {"required": True,
                                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Message"}}}},
                "responses": {
                    "200": _json("Reply", "the bot's reply"),
                    "400": _error("the body is not valid JSON, or not UTF-8"),
                    "403": _error("sent from a page on another site"),
                    "404": _error("no such session, or it expired"),
                    "413": _error("the body is over 16 KB"),
                    "415": _error("the body is not sent as application/json"),
                    "422": _error("text missing, not a string, or too long"),
                },
            }},
            "/api/sessions/{id}/touch": {"post": {
                "summary": "The patient is still there (a tap or scroll): keep the session without a message",
                "parameters": session_id,
                "responses": {"204": {"description": "kept"}, "403": _error("sent from a page on another site"),
                              "404": _error("no such session, or it expired")},
            }},
            "/api/sessions/{id}": {"delete": {
                "summary": "End a session now (Start over)",
                "parameters": session_id,
                "responses": {"204": {"description": "ended"}, "403": _error("sent from a page on another site"),
                              "404": _error("no such session, or it expired")},
            }},
        },
        "components": {"schemas": {
            "Message": {"type": "object", "required": ["text"],
                        "properties": {"text": {"type": "string", "maxLength": max_chars(bot)}}},
            "Reply": reply,
            "Created": {"type": "object", "required": ["id", "idle_timeout"],
                        "properties": {"id": {"type": "string"}, "idle_timeout": {"type": "number"}}},
            "Info": {"type": "object", "properties": {
                "welcome": {"type": "string", "description": "paragraphs separated by blank lines"},
                "examples": {"type": "array", "items": {"type": "string"}},
                "topics": {"type": "array", "description": "what a patient can browse: each topic and its questions",
                           "items": {"type": "object", "required": ["topic", "questions"], "properties": {
                               "topic": {"type": "string"},
                               "questions": {"type": "array", "items": {"type": "string"}}}}},
                "disclaimer": {"type": "string"}, "crisis_line": {"type": "string"}, "region": {"type": "string"},
                "idle_timeout": {"type": "number"}, "max_chars": {"type": "integer"}, "version": {"type": "string"}}},
            "Health": {"type": "object", "properties": {"status": {"const": "ok"}}},
            "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
        }},
    }
