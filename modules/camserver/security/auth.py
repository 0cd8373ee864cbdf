"""Credentials for every route, both ports, when auth is configured.

Auth is on as soon as auth_user or auth_password is set: with only one of
them, the missing one is the empty string, credentials are still required,
and one WARNING line at start says what is missing (failing open would turn
a half-done configuration into no protection at all).

A 401 offers Digest (RFC 7616, SHA-256 then MD5: digest.py; on RTSP also the
RFC 2069 form, bound to its connection) and Basic in one answer; the client
picks. Scheme names are case-insensitive (RFC 9110 11.1);
credentials are compared in constant time.

Guessing is slowed per client address (Throttle): after auth_guesses (5)
wrong credentials in a row, that address gets 429 with Retry-After for a pause
that doubles with each further wrong one, up to LOCK_MAX_MS; right credentials
end it. Other addresses are not affected, and the table of addresses is
bounded. auth_guesses 0 turns it off (behind a reverse proxy every client is
the proxy's address).
"""

import binascii
import time

from camserver import log
from camserver.http.response import text
from camserver.security import digest
from camserver.security.compare import same

REALM = "camera"
LOCK_MS = 1000  # the first wait; it doubles with each further wrong guess
LOCK_MAX_MS = 60000
_ADDRESSES = 16  # addresses remembered at most


class Throttle:
    """Wrong guesses per client address (see the module docstring)."""

    def __init__(self, guesses, ticks_ms=time.ticks_ms):
        self.guesses = guesses  # wrong credentials in a row before an address has to wait; 0: never
        self.ticks_ms = ticks_ms
        self._seen = {}  # address -> [wrong guesses in a row, locked until (ticks_ms)]

    def wait_ms(self, address):
        """How long address must still wait before its credentials are looked at (0: not)."""
        entry = self._seen.get(address)
        if entry is None or entry[0] < self.guesses:
            return 0
        left = time.ticks_diff(entry[1], self.ticks_ms())
        return left if left > 0 else 0

    def failed(self, address):
        if self.guesses <= 0:
            return  # no limit: nothing to remember
        entry = self._seen.get(address)
        if entry is None:
            if len(self._seen) >= _ADDRESSES:
                self._forget_one()
            entry = self._seen[address] = [0, 0]
        entry[0] += 1
        if entry[0] >= self.guesses:
            pause = LOCK_MS << min(entry[0] - self.guesses, 6)
            entry[1] = time.ticks_add(self.ticks_ms(), pause if pause < LOCK_MAX_MS else LOCK_MAX_MS)

    def passed(self, address):
        if address in self._seen:
            del self._seen[address]

    def _forget_one(self):
        # An address that is not waiting goes first; else any (the table must stay bounded).
        victim = None
        for address in self._seen:
            victim = address
            if self.wait_ms(address) == 0:
                break
        del self._seen[victim]


def scheme_is(value, scheme):
    """True when the Authorization value uses scheme (given lower-case), in any case."""
    n = len(scheme)
    return len(value) > n and value[n] == " " and value[:n].lower() == scheme


class Auth:
    """The before-hook: None for a request with valid credentials, else the 401."""

    def __init__(self, user, password, guesses=5):
        self.basic = binascii.b2a_base64((user + ":" + password).encode()).decode().strip()
        self.digest = digest.Digest(user, password, REALM)
        self.throttle = Throttle(guesses)

    def check(self, request):
        if request.method == "OPTIONS":
            return None  # CORS preflights never carry credentials
        value = request.headers.get("authorization")
        stale = False
        if value is not None:
            throttle = self.throttle
            address = request.conn.host if request.conn is not None else None
            wait = throttle.wait_ms(address)
            if wait:
                seconds = (wait + 999) // 1000
                answer = text(
                    429, "too many wrong credentials: wait %d s" % seconds, [("Retry-After", seconds)]
                )
                answer.close = True
                return answer
            if scheme_is(value, "basic"):
                if same(value[6:].strip(), self.basic):
                    throttle.passed(address)
                    return None
                throttle.failed(address)
            elif scheme_is(value, "digest"):
                uri = request.digest_uri()
                verdict = self.digest.verify(value[7:], request.method, uri, request.digest_conn())
                if verdict == digest.OK:
                    throttle.passed(address)
                    return None
                stale = verdict == digest.STALE
                if not stale:  # a stale nonce is no wrong guess: the client knew the password
                    throttle.failed(address)
        return text(401, "authentication required", self.challenges(stale, request.digest_conn()))

    def challenges(self, stale=False, conn=None):
        headers = []
        for value in self.digest.challenges(stale, conn):
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
    return Auth(user, password, config["auth_guesses"])
