"""HTTP Digest auth (RFC 7616) next to Basic: real clients (curl with SHA-256, ffmpeg with MD5) and a
by-the-RFC client in the test for what real clients never do on purpose (replays, tampering)."""

import hashlib
import re
import subprocess

from httpclient import Conn

USER, PASSWORD = "admin", "s3cret"


def challenges(reply):
    """The WWW-Authenticate values of a reply, in order (httpclient's dict keeps only the last)."""
    out = []
    for line in reply.raw_head.decode("latin-1").split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "www-authenticate":
            out.append(value.strip())
    return out


def params(challenge):
    return dict(re.findall(r'(\w+)="?([^",]*)"?', challenge.split(" ", 1)[1]))


def ask(server, path, authorization=None, method="GET"):
    conn = Conn(server.host, server.port)
    try:
        headers = {"Connection": "close"}
        if authorization:
            headers["Authorization"] = authorization
        conn.request(method, path, headers)
        return conn.read_reply(head_only=path == "/stream")
    finally:
        conn.close()


def answer(challenge, path, nc=1, method="GET", password=PASSWORD, uri=None, scheme="Digest", qop=True):
    """The Authorization value a client computes for a Digest challenge (RFC 7616 3.4.1); qop=False:
    the RFC 2069 way (RFC 2617 3.2.2.1: no qop, nc or cnonce), as GStreamer's rtspsrc answers."""
    p = params(challenge)
    fn = {"SHA-256": hashlib.sha256, "MD5": hashlib.md5}[p["algorithm"]]

    def h(text):
        return fn(text.encode()).hexdigest()

    uri = uri or path
    ha1 = h("%s:%s:%s" % (USER, p["realm"], password))
    ha2 = h("%s:%s" % (method, path))
    cnonce, count = "0a4f113b", "%08x" % nc
    if not qop:
        response = h("%s:%s:%s" % (ha1, p["nonce"], ha2))
        fields = (scheme, USER, p["realm"], uri, p["algorithm"], p["nonce"], response)
        return '%s username="%s", realm="%s", uri="%s", algorithm=%s, nonce="%s", response="%s"' % fields
    response = h("%s:%s:%s:%s:auth:%s" % (ha1, p["nonce"], count, cnonce, ha2))
    return (
        '%s username="%s", realm="%s", uri="%s", algorithm=%s, nonce="%s", nc=%s, cnonce="%s", '
        'qop=auth, response="%s"'
        % (scheme, USER, p["realm"], uri, p["algorithm"], p["nonce"], count, cnonce, response)
    )


def test_one_401_offers_digest_sha256_md5_and_basic(sim):
    server = sim(auth_user=USER, auth_password=PASSWORD)
    offered = challenges(ask(server, "/status"))
    assert [c.split(",")[0] for c in offered] == [
        'Digest realm="camera"',
        'Digest realm="camera"',
        'Basic realm="camera"',
    ]
    assert [params(c)["algorithm"] for c in offered[:2]] == ["SHA-256", "MD5"]
    assert params(offered[0])["nonce"] == params(offered[1])["nonce"] and params(offered[0])["qop"] == "auth"


def test_digest_with_both_algorithms_and_no_replay(sim):
    server = sim(auth_user=USER, auth_password=PASSWORD, auth_guesses=0)  # (many refused on purpose)
    for index in (0, 1):
        challenge = challenges(ask(server, "/status"))[index]
        first = answer(challenge, "/status?gc=1", nc=1)
        assert ask(server, "/status?gc=1", first).status == 200
        assert ask(server, "/status?gc=1", first).status == 401  # a captured request replayed
        assert ask(server, "/status?gc=1", answer(challenge, "/status?gc=1", nc=3)).status == 200
        assert (
            ask(server, "/status?gc=1", answer(challenge, "/status?gc=1", nc=2)).status == 200
        )  # late, not seen
        assert ask(server, "/status?gc=1", answer(challenge, "/status?gc=1", nc=2)).status == 401
        lowercase = answer(challenge, "/status", nc=4, scheme="dIgEsT")
        assert ask(server, "/status", lowercase).status == 200
    challenge = challenges(ask(server, "/status"))[0]
    nonce = params(challenge)["nonce"]
    forged = nonce[:-1] + ("1" if nonce[-1] == "0" else "0")
    wrong = [
        answer(challenge, "/status", password="guess"),
        answer(challenge, "/status", uri="/capture"),  # a response computed for another target
        answer(challenge, "/status").replace("qop=auth", "qop=auth-int"),
        answer(challenge, "/status").replace('username="admin"', 'username="root"'),
        answer(challenge, "/status", qop=False),  # RFC 2069: only on RTSP (bound to its connection)
        'Digest username="admin"',
        "Digest ",
    ]
    for value in wrong:
        reply = ask(server, "/status", value)
        assert reply.status == 401 and "stale=true" not in reply.raw_head.decode(), value
    # A nonce this boot did not make (another boot's, or forged) with the right password: stale, so the
    # client retries with a fresh nonce; a stale answer never lets the request through.
    reply = ask(server, "/status", answer(challenge.replace(nonce, forged), "/status"))
    assert reply.status == 401 and "stale=true" in reply.raw_head.decode()
    reply = ask(server, "/status", answer(challenge.replace(nonce, forged), "/status", password="guess"))
    assert reply.status == 401 and "stale=true" not in reply.raw_head.decode()
    # A state-changing route takes Digest as well, and HEAD is not replayable into a GET.
    challenge = challenges(ask(server, "/control?var=quality&val=20"))[0]
    assert (
        ask(server, "/control?var=quality&val=20", answer(challenge, "/control?var=quality&val=20")).status
        == 200
    )


def test_real_clients_authenticate_with_digest(sim):
    server = sim(auth_user=USER, auth_password=PASSWORD)

    def curl(password):
        done = subprocess.run(
            ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--digest", "-u", USER + ":" + password]
            + [server.url + "/status"],
            capture_output=True,
            text=True,
            timeout=20,
        )
        return done.stdout, done.stderr

    status, err = curl(PASSWORD)
    assert status == "200", err
    assert curl("nope")[0] == "401"
    # ffmpeg knows only MD5 Digest and keeps the last challenge it reads: the shared nonce lets it in.
    url = "http://%s:%s@%s:%d/stream" % (USER, PASSWORD, server.host, server.port)
    done = subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-i", url, "-frames:v", "2", "-f", "null", "-"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
