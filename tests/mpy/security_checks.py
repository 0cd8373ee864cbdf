"""Host names, origins and credentials compare, inside MicroPython."""

import check
from camserver import settings
from camserver.http.request import Request
from camserver.security.auth import same, scheme_is
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


def test_credentials_compare():
    assert same("abc", "abc") and not same("abc", "abd") and not same("abc", "ab")
    assert scheme_is("Basic xyz", "basic") and scheme_is("DIGEST a=b", "digest")
    assert not scheme_is("Basicxyz", "basic") and not scheme_is("Basic", "basic")


check.run(globals())
