"""Host names, origins and credentials compare, inside MicroPython."""

import binascii
import hashlib

import check
from camserver import settings
from camserver.http.request import Request
from camserver.rtsp.codec import RtspRequest
from camserver.security import auth, digest
from camserver.security.auth import scheme_is
from camserver.security.compare import same
from camserver.security.hosts import Hosts, host_name
from camserver.security.origin import CrossSite, origin_of


def config(**changes):
    out = dict(settings.DEFAULTS)
    out.update(changes)
    return out


def test_host_name():
    assert host_name("Cam.Local.:8080") == "cam.local"
    assert host_name("10.0.0.1:80") == "10.0.0.1"
    assert host_name("[::1]:8080") == "[::1]" and host_name("[FE80::1]") == "[fe80::1]"
    for bad in ("[::1", "[zz]", "[::1]x", "cam:http", "", ":80"):
        assert host_name(bad) is None, bad


def test_hosts_accept_ip_literals_and_own_names_only():
    hosts = Hosts(config(hostname="cam", allowed_hosts=" proxy.example , other:443,"))
    for ok in (
        "1.2.3.4",
        "1.2.3.4:1",
        "[::ffff:1.2.3.4]:80",
        "localhost",
        "cam",
        "cam.local",
        "proxy.example",
    ):
        assert hosts.accepts(ok), ok
    for bad in ("1.2.3.256", "1.2.3", "01234.1.1.1", "evil", "cam.evil", "localhost.evil", "camserver"):
        assert not hosts.accepts(bad), bad
    assert hosts.proxies == ("proxy.example", "other")


def test_seen_hosts_stay_bounded():
    hosts = Hosts(config())
    for i in range(100):
        assert hosts.check(Request("GET", "/", "", 11, {"host": "10.0.0.%d" % i})) is None
    assert len(hosts._seen) == 16
    assert hosts.check(Request("GET", "/", "", 11, {"host": "evil"})).status == 421


def test_origin_of():
    assert origin_of("http://cam:8080/page?x=1") == "http://cam:8080"
    assert origin_of("http://cam") == "http://cam"
    assert origin_of("null") == "null"


def test_cross_site():
    guard = CrossSite(Hosts(config(allowed_hosts="proxy.example")), "")

    def verdict(**headers):
        headers.setdefault("host", "cam:8080")
        response = guard.check(Request("GET", "/control", "", 11, headers))
        return 200 if response is None else response.status

    assert verdict() == 200
    assert verdict(origin="http://cam:8080") == 200
    assert verdict(origin="http://CAM:8080", host="cam:8080") == 200
    assert verdict(origin="http://cam", host="cam:80") == 200
    assert verdict(origin="http://cam:8081") == 403
    assert verdict(origin="https://proxy.example") == 200
    assert verdict(referer="http://evil/x") == 403
    assert verdict(**{"sec-fetch-site": "cross-site"}) == 403
    assert verdict(**{"sec-fetch-site": "same-site"}) == 403
    assert verdict(**{"sec-fetch-site": "same-site", "origin": "http://cam:8080"}) == 200
    # A browser that names no page: a hostile <img referrerpolicy=no-referrer>, or a URL typed into the
    # address bar (the camera cannot tell them apart) -- unless its own page says so.
    browser = "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0"
    assert verdict(**{"user-agent": browser}) == 403
    assert verdict(**{"user-agent": browser, "referer": "http://cam:8080/"}) == 200
    assert verdict(**{"user-agent": browser, "x-requested-with": "camserver"}) == 200
    assert verdict(**{"user-agent": browser, "sec-fetch-site": "same-origin"}) == 200
    assert verdict(**{"user-agent": browser, "sec-fetch-site": "none"}) == 200  # typed, on https
    assert verdict(**{"user-agent": "curl/8.5.0"}) == 200
    assert verdict(**{"user-agent": "HomeAssistant/2026.11 aiohttp/3.12"}) == 200


def _answer(dg, nonce, nc, uri="/status", algorithm="SHA-256", fn=hashlib.sha256, method="GET"):
    def h(text):
        return binascii.hexlify(fn(text.encode()).digest()).decode()

    ha1 = h("u:camera:pw")
    response = h("%s:%s:%08x:c0:auth:%s" % (ha1, nonce, nc, h(method + ":" + uri)))
    fields = (uri, algorithm, nonce, nc, response)
    return (
        'username="u", realm="camera", uri="%s", algorithm=%s, nonce="%s", nc=%08x, cnonce="c0", '
        'qop=auth, response="%s"' % fields
    )


def test_digest_nonces_expire_and_nc_is_never_accepted_twice():
    clock = check.Clock()
    dg = digest.Digest("u", "pw", "camera", clock, b"k" * 16)
    nonce = dg.nonce()
    assert dg.verify(_answer(dg, nonce, 1), "GET", "/status") == digest.OK
    assert dg.verify(_answer(dg, nonce, 1), "GET", "/status") == digest.BAD
    assert dg.verify(_answer(dg, nonce, 30), "GET", "/status") == digest.OK
    assert dg.verify(_answer(dg, nonce, 5), "GET", "/status") == digest.BAD  # too far behind to tell
    assert dg.verify(_answer(dg, nonce, 6), "GET", "/status") == digest.OK  # late, within the window
    assert dg.verify(_answer(dg, nonce, 29), "GET", "/status") == digest.OK
    assert dg.verify(_answer(dg, nonce, 29), "GET", "/status") == digest.BAD
    assert dg.verify(_answer(dg, nonce, 31, "/a", "MD5", hashlib.md5), "GET", "/a") == digest.OK
    assert dg.verify(_answer(dg, nonce, 32), "GET", "/other") == digest.BAD  # uri is not the target
    clock.now += digest.NONCE_TTL_S + 1
    assert dg.verify(_answer(dg, nonce, 33), "GET", "/status") == digest.STALE
    clock.now -= 2 * digest.NONCE_TTL_S  # the clock stepped back: not trusted either
    assert dg.verify(_answer(dg, nonce, 34), "GET", "/status") == digest.STALE


def test_digest_remembers_a_bounded_number_of_nonces():
    dg = digest.Digest("u", "pw", "camera", check.Clock(), b"k" * 16)
    early = dg.nonce()
    nonces = [dg.nonce() for _ in range(digest._TRACKED + 12)]
    for nonce in nonces:
        assert dg.verify(_answer(dg, nonce, 1), "GET", "/status") == digest.OK
    assert len(dg._nonces) == digest._TRACKED
    # Forgotten nonces, and any older one never used, can no longer be told apart from replays: stale.
    assert dg.verify(_answer(dg, nonces[0], 2), "GET", "/status") == digest.STALE
    assert dg.verify(_answer(dg, early, 1), "GET", "/status") == digest.STALE
    assert dg.verify(_answer(dg, nonces[-1], 2), "GET", "/status") == digest.OK
    fresh = dg.nonce()
    assert dg.verify(_answer(dg, fresh, 1), "GET", "/status") == digest.OK


URL = "rtsp://cam/mjpeg/1"


def _rfc2069(nonce, uri=URL, method="DESCRIBE", password="pw", extra=""):
    """An answer the RFC 2069 way, as GStreamer's rtspsrc sends it: no qop, nc or cnonce, and
    response = H(HA1:nonce:HA2) (RFC 2617 3.2.2.1). SHA-256: MD5 is not in every build."""

    def h(text):
        return binascii.hexlify(hashlib.sha256(text.encode()).digest()).decode()

    response = h("%s:%s:%s" % (h("u:camera:" + password), nonce, h(method + ":" + uri)))
    fields = (uri, nonce, extra, response)
    return 'username="u", realm="camera", uri="%s", algorithm=SHA-256, nonce="%s", %sresponse="%s"' % fields


def test_digest_takes_rfc2069_answers_only_on_the_rtsp_connection_their_nonce_names():
    clock = check.Clock()
    dg = digest.Digest("u", "pw", "camera", clock, b"k" * 16)
    nonce = dg.nonce(7)  # issued on RTSP connection 7
    answer = _rfc2069(nonce)
    assert dg.verify(answer, "DESCRIBE", URL, 7) == digest.OK
    assert dg.verify(answer, "DESCRIBE", URL, 7) == digest.OK  # no nc: its next request looks the same
    assert dg.verify(answer, "DESCRIBE", URL, 8) == digest.STALE  # captured, sent on another connection
    assert dg.verify(answer, "DESCRIBE", URL) == digest.BAD  # HTTP: qop=auth or nothing
    assert dg.verify(_rfc2069(dg.nonce()), "DESCRIBE", URL, 7) == digest.STALE  # a nonce naming no connection
    number, second, _, mac = nonce.split(".")
    moved = "%s.%s.8.%s" % (number, second, mac)  # the connection is under the MAC
    assert dg.verify(_rfc2069(moved), "DESCRIBE", URL, 8) == digest.STALE
    assert dg.verify(_rfc2069(nonce, password="nope"), "DESCRIBE", URL, 7) == digest.BAD
    assert dg.verify(_rfc2069(nonce, URL + "x"), "DESCRIBE", URL, 7) == digest.BAD  # uri is not the target
    assert dg.verify(_rfc2069(nonce, method="SETUP"), "DESCRIBE", URL, 7) == digest.BAD
    assert dg.verify(_rfc2069(nonce, extra="nc=00000001, "), "DESCRIBE", URL, 7) == digest.BAD
    assert dg.verify(answer.replace('realm="camera"', 'realm="x"'), "DESCRIBE", URL, 7) == digest.BAD
    assert dg.verify(answer.replace('username="u"', 'username="v"'), "DESCRIBE", URL, 7) == digest.BAD
    clock.now += digest.NONCE_TTL_S + 1
    assert dg.verify(answer, "DESCRIBE", URL, 7) == digest.STALE
    # qop=auth answers count on any connection and over HTTP, whoever issued the nonce, never twice.
    nonce = dg.nonce(7)
    assert dg.verify(_answer(dg, nonce, 1), "GET", "/status", 8) == digest.OK
    assert dg.verify(_answer(dg, nonce, 2), "GET", "/status") == digest.OK
    assert dg.verify(_answer(dg, nonce, 2), "GET", "/status", 7) == digest.BAD
    assert not dg._nonces.get(int(dg.nonce(9).split(".")[0], 16))  # (RFC 2069 answers hold no memory)


class Conn:
    host = "10.0.0.9"

    def __init__(self, number):
        self.number = number


def _nonce_of(answer):
    return digest.parse_params(answer.headers[0][1][7:])["nonce"]


def _rtsp(guard, conn, authorization=None):
    request = RtspRequest(conn=conn)
    request.method = "DESCRIBE"
    request.url = URL
    if authorization is not None:
        request.headers["authorization"] = "Digest " + authorization
    return guard.check(request)


def _http(guard, authorization):
    return guard.check(
        Request("GET", "/status", headers={"authorization": "Digest " + authorization}, conn=Conn(0))
    )


def test_auth_binds_rfc2069_answers_to_their_rtsp_connection_and_counts_wrong_ones():
    guard = auth.Auth("u", "pw", guesses=2)
    a = Conn(1)
    nonce = _nonce_of(_rtsp(guard, a))
    assert _rtsp(guard, a, _rfc2069(nonce)) is None and _rtsp(guard, a, _rfc2069(nonce)) is None
    elsewhere = _rtsp(guard, Conn(2), _rfc2069(nonce))
    assert elsewhere.status == 401 and "stale=true" in elsewhere.headers[0][1]
    assert _rtsp(guard, Conn(2), _rfc2069(_nonce_of(elsewhere))) is None  # the fresh nonce names connection 2
    assert _rtsp(guard, a, _rfc2069(nonce, password="nope")).status == 401  # a wrong guess (1)
    refused = _http(guard, _rfc2069(nonce, "/status", "GET"))  # right password, no qop, over HTTP: wrong (2)
    assert refused.status == 401 and "stale" not in refused.headers[0][1]
    assert _rtsp(guard, a, _rfc2069(nonce)).status == 429  # the address must wait, whatever it sends now


def test_auth_takes_qop_auth_answers_on_every_connection_and_over_http():
    guard = auth.Auth("u", "pw", guesses=0)
    nonce = _nonce_of(_rtsp(guard, Conn(1)))
    assert _rtsp(guard, Conn(2), _answer(None, nonce, 1, URL, method="DESCRIBE")) is None
    assert _http(guard, _answer(None, nonce, 2)) is None
    assert _http(guard, _answer(None, nonce, 2)).status == 401  # replayed
    assert _rtsp(guard, Conn(1), _answer(None, nonce, 1, URL, method="DESCRIBE")).status == 401  # replayed


def test_digest_params():
    assert digest.parse_params('a=1, B="x, \\"y\\"",c=""') == {"a": "1", "b": 'x, "y"', "c": ""}


def test_credentials_compare():
    assert same("abc", "abc") and not same("abc", "abd") and not same("abc", "ab")
    assert scheme_is("Basic xyz", "basic") and scheme_is("DIGEST a=b", "digest")
    assert not scheme_is("Basicxyz", "basic") and not scheme_is("Basic", "basic")


def test_throttle_makes_an_address_wait_after_wrong_guesses_and_forgets_on_success():
    clock = check.Clock(5000)
    throttle = auth.Throttle(5, clock)
    for _ in range(4):
        throttle.failed("a")
    assert throttle.wait_ms("a") == 0
    throttle.failed("a")
    assert throttle.wait_ms("a") == auth.LOCK_MS and throttle.wait_ms("b") == 0
    clock.now += auth.LOCK_MS
    assert throttle.wait_ms("a") == 0
    throttle.failed("a")  # one more wrong: twice as long
    assert throttle.wait_ms("a") == 2 * auth.LOCK_MS
    for _ in range(20):
        throttle.failed("a")
    assert throttle.wait_ms("a") == auth.LOCK_MAX_MS
    throttle.passed("a")
    assert throttle.wait_ms("a") == 0


def test_throttle_off_never_waits_nor_remembers():
    throttle = auth.Throttle(0, check.Clock(5000))
    for _ in range(50):
        throttle.failed("a")
    assert throttle.wait_ms("a") == 0 and not throttle._seen


def test_throttle_table_stays_bounded_and_keeps_a_waiting_address():
    throttle = auth.Throttle(5, check.Clock(5000))
    locked = ["10.1.0.%d" % i for i in range(auth._ADDRESSES - 1)]
    for address in locked:
        for _ in range(5):
            throttle.failed(address)
    for i in range(100):
        throttle.failed("10.0.0.%d" % i)
    assert len(throttle._seen) == auth._ADDRESSES
    # New addresses push out those not waiting: many of them cannot clear a lock.
    assert [throttle.wait_ms(address) for address in locked] == [auth.LOCK_MS] * len(locked)


check.run(globals())
