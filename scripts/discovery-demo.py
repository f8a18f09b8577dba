#!/usr/bin/python3
"""
Service discovery, shown: run drover with the shipped configuration
(`make run`: the keeper on 127.0.0.1:2181, upstream "app" discovered from
/services/app, proxied on http://127.0.0.1:8080/app/), then, in another
terminal:

    scripts/discovery-demo.py [--zk 127.0.0.1:2181] [--url URL]
                              [--path /services/app]

It starts two backends, each a process that serves "backend <port>" and
registers itself as an ephemeral znode (kazoo, Debian's python3-kazoo),
and sends requests through drover after each step:

  1. the backends register: traffic reaches both, with no reload;
  2. an override (/drover/upstreams/app) gives the first weight 3;
  3. the second is killed with SIGKILL: drover's keeper sees its session's
     connection drop and drains it at once; no request fails;
  4. the override is removed and the first backend stopped.

drover's log (logs/error.log) shows each change ("peer added", "peer
changed ... drained", ...). Exits non-zero if a request failed.
"""

import argparse
import http.client
import http.server
import os
import signal
import socket
import socketserver
import subprocess
import sys
import time
import urllib.parse
from collections import Counter

from kazoo.client import KazooClient


def backend_main(port, hosts, path):
    """The child: serve, register, wait for the end."""

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            body = ("backend %d\n" % port).encode()
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s"
                             % (len(body), body))

        def log_message(self, *args):
            pass

    class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True
        allow_reuse_address = True

    srv = Server(("127.0.0.1", port), Handler)
    zk = KazooClient(hosts=hosts, timeout=10)
    zk.start(timeout=10)
    zk.create(path, ("127.0.0.1:%d" % port).encode(), ephemeral=True,
              makepath=True)
    print("ready", flush=True)
    srv.serve_forever()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def traffic(url, n):
    u = urllib.parse.urlsplit(url)
    seen, failed = Counter(), 0
    for _ in range(n):
        try:
            c = http.client.HTTPConnection(u.hostname, u.port or 80,
                                           timeout=5)
            c.request("GET", u.path or "/")
            r = c.getresponse()
            body = r.read()
            c.close()
            if r.status == 200:
                seen[body.decode().strip()] += 1
            else:
                seen["HTTP %d" % r.status] += 1
                failed += 1
        except OSError as e:
            seen[type(e).__name__] += 1
            failed += 1
    return seen, failed


def show(step, url, n=30):
    seen, failed = traffic(url, n)
    print("%-48s %s" % (step, ", ".join("%s: %d" % kv
                                         for kv in sorted(seen.items()))))
    return failed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--zk", default="127.0.0.1:2181")
    ap.add_argument("--url", default="http://127.0.0.1:8080/app/")
    ap.add_argument("--path", default="/services/app")
    ap.add_argument("--backend", type=int, help=argparse.SUPPRESS)
    a = ap.parse_args()

    if a.backend:
        return backend_main(a.backend, a.zk, a.path)

    zk = KazooClient(hosts=a.zk, timeout=10)
    try:
        zk.start(timeout=5)
    except Exception as e:
        sys.exit("cannot reach %s (%s): is drover running (make run)?"
                 % (a.zk, e))

    overrides = "/drover/upstreams/" + a.path.rstrip("/").split("/")[-1]
    procs, failed = [], 0
    try:
        for name in ("demo-a", "demo-b"):
            port = free_port()
            p = subprocess.Popen([sys.executable, os.path.abspath(__file__),
                                  "--backend", str(port), "--zk", a.zk,
                                  "--path", a.path + "/" + name],
                                 stdout=subprocess.PIPE)
            if p.stdout.readline().strip() != b"ready":
                sys.exit("a backend did not start")
            procs.append(p)
        time.sleep(0.05)

        failed += show("1. two backends registered:", a.url)

        zk.ensure_path(os.path.dirname(overrides))
        if zk.exists(overrides):
            zk.delete(overrides)
        zk.create(overrides, b"demo-a: {weight: 3}\n")
        time.sleep(0.05)
        failed += show("2. override demo-a: {weight: 3}:", a.url, 40)

        procs[1].send_signal(signal.SIGKILL)
        procs[1].wait()
        failed += show("3. demo-b killed (SIGKILL), right after:", a.url)

        zk.delete(overrides)
        failed += show("4. override removed:", a.url)
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                p.wait()
        if zk.exists(overrides):
            zk.delete(overrides)
        zk.stop()

    print("failed requests: %d" % failed)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
