"""HTTP Digest authentication (RFC 7616): SHA-256 and MD5, qop=auth; on RTSP also RFC 2069 answers.

A request is checked in this order: its fields, then its response (does the
client know the password?), then its nonce (made by this boot, not expired:
else STALE, and the client retries with a fresh one), then its nc.

Nonces cost no memory until used: each carries its number, the second it was
issued and a MAC under a per-boot secret, so the server knows it made it and
when. Once a client uses a nonce, its nc values are remembered (the highest,
and a bitmap of the _WINDOW below it, since parallel requests arrive out of
order) so a captured request can never be replayed. At most _TRACKED nonces
are remembered: when a new one is needed the lowest-numbered is forgotten, and
every nonce numbered at or below a forgotten one is refused as stale (the
client retries with a fresh nonce, no prompt). A nonce older than NONCE_TTL_S
is stale too. Memory is bounded whatever clients send.

RTSP also takes RFC 2069 answers (no qop, nc or cnonce: GStreamer's rtspsrc
sends only these, and prefers Digest over Basic). Without nc such an answer is
the same for every request with that method and URL, so nothing tells a
replay from the client's next request. A nonce issued on an RTSP connection
therefore names that connection (its number is under the MAC), and an answer
without qop counts only on the connection its nonce names: a captured one
sent from anywhere else is stale, and whoever could resend it on the same
connection is already inside that TCP stream. Over HTTP (no connection to
bind to: browsers open several) qop=auth stays required.
"""

import binascii
import hashlib
import os
import time

from camserver.security.compare import same

NONCE_TTL_S = 300
_TRACKED = 32  # ~2 KB at most; fewer made nine clients taking turns see a stale nonce each time
_WINDOW = 24  # bits: stays a small int on the board (no allocation)
_MASK = (1 << _WINDOW) - 1

OK = 0
STALE = 1  # an expired or forgotten nonce: challenge again with stale=true
BAD = 2


def _hex(digest):
    return binascii.hexlify(digest).decode()


def algorithms():
    """(name, hash constructor) pairs, preferred first; MD5 only where hashlib has it."""
    out = [("SHA-256", hashlib.sha256)]
    md5 = getattr(hashlib, "md5", None)
    if md5 is not None:
        out.append(("MD5", md5))
    return out


def parse_params(text):
    """'a=1, b="x, \\"y\\""' -> {"a": "1", "b": 'x, "y"'} (names lower-case)."""
    out = {}
    i = 0
    n = len(text)
    while i < n:
        while i < n and text[i] in " \t,":
            i += 1
        eq = text.find("=", i)
        if eq < 0:
            break
        name = text[i:eq].strip().lower()
        i = eq + 1
        while i < n and text[i] in " \t":
            i += 1
        if i < n and text[i] == '"':
            chars = []
            i += 1
            while i < n and text[i] != '"':
                if text[i] == "\\" and i + 1 < n:
                    i += 1
                chars.append(text[i])
                i += 1
            i += 1
            value = "".join(chars)
        else:
            end = text.find(",", i)
            if end < 0:
                end = n
            value = text[i:end].strip()
            i = end
        out[name] = value
    return out


class Digest:
    def __init__(self, user, password, realm, clock=time.time, secret=None):
        self.user = user
        self.realm = realm
        self.clock = clock
        self._secret = secret if secret is not None else os.urandom(16)
        self._names = []  # in the order challenges offer them
        self._hashes = {}
        for name, fn in algorithms():
            ha1 = _hex(fn(("%s:%s:%s" % (user, realm, password)).encode()).digest())
            self._names.append(name)
            self._hashes[name] = (fn, ha1)
        self._issued = 0
        self._floor = 0
        self._nonces = {}  # number -> [highest nc seen, bitmap of the _WINDOW nc below it]

    def _mac(self, body):
        return _hex(hashlib.sha256(self._secret + body.encode()).digest())[:16]

    def nonce(self, conn=None):
        """number.second[.conn].MAC; conn: the number of the RTSP connection it is issued on."""
        self._issued += 1
        body = "%x.%x" % (self._issued, int(self.clock()))
        if conn is not None:
            body += ".%x" % conn
        return body + "." + self._mac(body)

    def challenges(self, stale=False, conn=None):
        """WWW-Authenticate values, SHA-256 first (RFC 7616 3.7), sharing one nonce: clients that
        read only one challenge, or let a later one override an earlier one (ffmpeg keeps the
        last, and knows only MD5), still answer for a nonce that is valid under either."""
        nonce = self.nonce(conn)
        out = []
        for name in self._names:
            value = 'Digest realm="%s", qop="auth", algorithm=%s, nonce="%s"' % (self.realm, name, nonce)
            out.append(value + (", stale=true" if stale else ""))
        return out

    def verify(self, value, method, uri, conn=None):
        """OK, STALE or BAD for the Authorization value (after "Digest "); conn: the number of
        the RTSP connection the request came on, None over HTTP (see the module docstring)."""
        p = parse_params(value)
        algorithm = self._hashes.get(p.get("algorithm", "MD5").upper())
        nonce = p.get("nonce", "")
        nc = p.get("nc", "")
        cnonce = p.get("cnonce", "")
        response = p.get("response", "")
        rfc2069 = "qop" not in p and conn is not None
        if (
            algorithm is None
            or (p.get("qop") != "auth" and not rfc2069)
            or p.get("realm") != self.realm
            or p.get("uri") != uri
            or p.get("userhash", "false") != "false"
        ):
            return BAD
        fn, ha1 = algorithm
        ha2 = _hex(fn(("%s:%s" % (method, uri)).encode()).digest())
        if rfc2069:
            if nc or cnonce:  # (RFC 2617 3.2.2: only sent together with qop)
                return BAD
            signed = "%s:%s:%s" % (ha1, nonce, ha2)  # RFC 2617 3.2.2.1, qop absent
        else:
            if len(nc) != 8 or not cnonce:
                return BAD
            try:
                count = int(nc, 16)
            except ValueError:
                return BAD
            signed = "%s:%s:%s:%s:auth:%s" % (ha1, nonce, nc, cnonce, ha2)
        expected = _hex(fn(signed.encode()).digest())
        if not same(response, expected) or not same(p.get("username", ""), self.user):
            return BAD
        # The client knows the password. A nonce this boot did not make (one from before a
        # reboot) or an old one is stale: it retries with a fresh nonce, without asking anyone.
        parts = nonce.split(".")
        if len(parts) < 3 or len(parts) > 4 or not same(parts[-1], self._mac(nonce[: nonce.rfind(".")])):
            return STALE
        try:
            number = int(parts[0], 16)
            age = int(self.clock()) - int(parts[1], 16)
        except ValueError:
            return STALE
        if age < 0 or age > NONCE_TTL_S:
            return STALE
        if rfc2069:
            # No nc to count: good only on the connection the nonce names. From another one it
            # is a captured answer, or a client that reconnected: a fresh nonce serves the latter.
            return OK if len(parts) == 4 and same(parts[2], "%x" % conn) else STALE
        return self._count_use(number, count)

    def _count_use(self, number, count):
        entry = self._nonces.get(number)
        if entry is None:
            if number <= self._floor:
                return STALE
            if len(self._nonces) >= _TRACKED:
                oldest = min(self._nonces)
                if number < oldest:
                    self._floor = number
                    return STALE
                del self._nonces[oldest]
                self._floor = oldest
            entry = self._nonces[number] = [0, 0]
        high = entry[0]
        if count > high:
            shift = count - high
            # Kept below 2**_WINDOW before shifting: a bigger int would allocate on the board.
            entry[1] = ((entry[1] & (_MASK >> shift)) << shift | 1 << (shift - 1)) if shift <= _WINDOW else 0
            entry[0] = count
            return OK
        back = high - count - 1  # -1: the highest itself
        if count < 1 or back < 0 or back >= _WINDOW or entry[1] & (1 << back):
            return BAD  # replayed, or too far behind to tell
        entry[1] |= 1 << back
        return OK
