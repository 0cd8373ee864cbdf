"""Credentials for every route, both ports, when auth is configured.

Auth is on as soon as auth_user or auth_password is set: with only one of
them, the missing one is the empty string, credentials are still required,
and one WARNING line at start says what is missing (failing open would turn
a half-done configuration into no protection at all).

A 401 offers Digest (RFC 7616, SHA-256 then MD5: digest.py) and Basic in one
answer; the client picks. Scheme names are case-insensitive (RFC 9110 11.1);
credentials are compared in constant time.
"""

import binascii

from camserver import log
from camserver.http.response import text
from camserver.security import digest
from camserver.security.compare import same

REALM = "camera"


def scheme_is(value, scheme):
    """True when the Authorization value uses scheme (given lower-case), in any case."""
    n = len(scheme)
    return len(value) > n and value[n] == " " and value[:n].lower() == scheme


class Auth:
    """The before-hook: None for a request with valid credentials, else the 401."""

    def __init__(self, user, password):
        self.basic = binascii.b2a_base64((user + ":" + password).encode()).decode().strip()
        self.digest = digest.Digest(user, password, REALM)

    def check(self, request):
        if request.method == "OPTIONS":
            return None  # CORS preflights never carry credentials
        value = request.headers.get("authorization")
        stale = False
        if value is not None:
            if scheme_is(value, "basic"):
                if same(value[6:].strip(), self.basic):
                    return None
            elif scheme_is(value, "digest"):
                uri = request.path
                if request.query_string:
                    uri = uri + "?" + request.query_string
                verdict = self.digest.verify(value[7:], request.method, uri)
                if verdict == digest.OK:
                    return None
                stale = verdict == digest.STALE
        return text(401, "authentication required", self.challenges(stale))

    def challenges(self, stale=False):
        headers = []
        for value in self.digest.challenges(stale):
            headers.append(("WWW-Authenticate", value))
        headers.append(("WWW-Authenticate", 'Basic realm="%s", charset="UTF-8"' % REALM))
        return headers


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
