"""What a request passes before its handler runs, in this order (Guards.install):

1. hosts.py    Host must name this camera (DNS rebinding)            else 421
2. cors.py     CORS preflights answered, for cors_origin only
3. auth.py     credentials, when auth_user/auth_password are set     else 401
   then the router: unknown path 404, wrong method 405 (HEAD on a route that changes state too)
4. origin.py   routes that change state refuse cross-site requests   else 403

One Guards serves both ports, so the stream port is guarded exactly like the main one.
"""

from camserver.security import auth, cors
from camserver.security.hosts import Hosts
from camserver.security.origin import CrossSite


class Guards:
    def __init__(self, config):
        self.config = config
        self.hosts = Hosts(config)
        self.auth = auth.from_config(config)
        self.cross_site = CrossSite(self.hosts, config["cors_origin"])

    def install(self, router):
        router.before.append(self.hosts.check)
        router.before.append(cors.preflight(self.config, router))
        if self.auth is not None:
            router.before.append(self.auth.check)
        router.state_guard = self.cross_site.check
