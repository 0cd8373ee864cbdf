"""Credentials for every route, both ports, when auth is configured.

Auth is on as soon as auth_user or auth_password is set: with only one of
them, the missing one is the empty string, credentials are still required,
and one WARNING line at start says what is missing (failing open would turn
a half-done configuration into no protection at all). Scheme names are
case-insensitive (RFC 9110 11.1); credentials are compared in constant time.
"""

import binascii

from camserver import log
from camserver.http.response import text


def same(a, b):
    """a == b for two strings, in a time that depends on their lengths only (not on where they
    first differ), so the reply time does not leak how much of a guess was right."""
    if len(a) != len(b):
        return False
    diff = 0
    for i in range(len(a)):
        diff |= ord(a[i]) ^ ord(b[i])
    return diff == 0


def scheme_is(value, scheme):
    """True when the Authorization value uses scheme (lower-case), in any case."""
    n = len(scheme)
    return len(value) > n and value[n] == " " and value[:n].lower() == scheme


class Auth:
    """The before-hook: None for a request with valid credentials, else the 401."""

    def __init__(self, user, password):
        self.basic = binascii.b2a_base64((user + ":" + password).encode()).decode().strip()
        self.challenges = [("WWW-Authenticate", 'Basic realm="camera", charset="UTF-8"')]

    def check(self, request):
        if request.method == "OPTIONS":
            return None  # CORS preflights never carry credentials
        value = request.headers.get("authorization")
        if value is not None and scheme_is(value, "basic") and same(value[6:].strip(), self.basic):
            return None
        return text(401, "authentication required", self.challenges)


def from_config(config):
    """The Auth for config, or None when no credentials are configured."""
    user = config["auth_user"]
    password = config["auth_password"]
    if not user and not password:
        return None
    if not user or not password:
        missing = "auth_user" if not user else "auth_password"
        log.warning(
            "auth: %s is empty: requests still need credentials, with an empty %s", missing, missing[5:]
        )
    return Auth(user, password)
