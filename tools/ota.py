#!/usr/bin/env python3
"""Upload a firmware app image to a camera (`make ota URL=http://camera/ BOARD=...`).

    tools/ota.py URL IMAGE

Computes the image's SHA-256, POSTs it to URL + "ota" with Content-Length and X-SHA256 in
4096-byte blocks, showing a progress bar, and prints the camera's answer. Credentials: user:pass@
in the URL, or CAMSERVER_USER / CAMSERVER_PASSWORD in the environment (sent as Basic). Exit code
0 when the camera took the image (it then reboots into it), 1 otherwise. Standard library only.
"""

import base64
import hashlib
import http.client
import os
import sys
import urllib.parse

BLOCK = 4096


def digest(path):
    sha = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(65536), b""):
            sha.update(block)
    return sha.hexdigest()


def _bar(done, total, out):
    width = 40
    filled = width * done // total  # (total > 0: an empty image sends no block)
    out.write(
        "\r[%s%s] %3d%% %d/%d bytes"
        % ("#" * filled, "." * (width - filled), 100 * done // total, done, total)
    )
    out.flush()


def upload(url, path, out=sys.stderr, sha=None, timeout=30):
    """POST the image at path to url's /ota. Returns (status, answer text)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "http":
        raise ValueError("URL must start with http://")
    user = urllib.parse.unquote(parts.username or os.environ.get("CAMSERVER_USER", ""))
    password = urllib.parse.unquote(parts.password or os.environ.get("CAMSERVER_PASSWORD", ""))
    total = os.path.getsize(path)
    sha = sha or digest(path)
    base = parts.path if parts.path.endswith("/") else parts.path + "/"
    conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    conn.putrequest("POST", base + "ota", skip_accept_encoding=True)
    conn.putheader("Content-Type", "application/octet-stream")
    conn.putheader("Content-Length", str(total))
    conn.putheader("X-SHA256", sha)
    if user or password:
        token = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
        conn.putheader("Authorization", "Basic " + token)
    conn.endheaders()
    sent = 0
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(BLOCK), b""):
                conn.send(block)
                sent += len(block)
                _bar(sent, total, out)
    except OSError:
        pass  # the camera answered early and closed (a refusal): its answer is read below
    out.write("\n")
    try:
        response = conn.getresponse()
        return response.status, response.read().decode(errors="replace").strip()
    finally:
        conn.close()


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    url, path = argv
    try:
        status, answer = upload(url, path)
    except (OSError, ValueError, http.client.HTTPException) as e:
        print("error: %s" % e, file=sys.stderr)
        return 1
    print("%d %s" % (status, answer))
    return 0 if status == 200 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
