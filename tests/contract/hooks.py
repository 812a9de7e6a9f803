"""Schemathesis hooks for Wardbook's contract test (`cargo xtask contract`).

Signs in as the account the run is for (WARDBOOK_USER) and signs in again whenever an answer is
401: the run itself may end its own session (DELETE /api/sessions/{id}, POST /api/auth/logout,
an administrator signing a user out everywhere), and every operation after it must still be
tested as that role, not only as a stranger.

The sign-in comes from another loopback address (127.0.0.2) than the run's own requests: the run
tries wrong passwords on purpose, and the server slows sign-ins per account and address.
"""

import http.client
import json
import os
from urllib.parse import urlsplit

import schemathesis

BASE = os.environ["WARDBOOK_URL"]
USER = os.environ["WARDBOOK_USER"]
PASSWORD = os.environ["WARDBOOK_PASSWORD"]


@schemathesis.auth()
class WardbookSession:
    def get(self, case, context):
        url = urlsplit(BASE)
        conn = http.client.HTTPConnection(
            url.hostname, url.port, timeout=30, source_address=("127.0.0.2", 0)
        )
        body = json.dumps({"username": USER, "password": PASSWORD})
        conn.request("POST", "/api/auth/login", body, {"Content-Type": "application/json"})
        answer = conn.getresponse()
        text = answer.read()
        conn.close()
        if answer.status != 200:
            raise RuntimeError(f"sign-in as {USER} answered {answer.status}: {text[:200]!r}")
        return json.loads(text)["token"]

    def set(self, case, data, context):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"
