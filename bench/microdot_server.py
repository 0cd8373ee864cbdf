"""Benchmark (d): microdot 2.7 (pinned in requirements.txt) on the same MicroPython,
serving the same 120 kB body.

    MICROPYPATH=<site-packages>:.frozen micropython bench/microdot_server.py PORT
"""

import sys

from microdot import Microdot

BODY = bytes(120000)
app = Microdot()


@app.route("/test/body")
async def body(request):
    return BODY, 200, {"Content-Type": "application/octet-stream"}


print("camera ready: http://127.0.0.1:%s/" % sys.argv[1])
app.run(host="127.0.0.1", port=int(sys.argv[1]))
