"""The kiosk front end: the web page and HTTP API (app.py, guard.py, openapi.py, web/) and JSON lines on stdio."""
