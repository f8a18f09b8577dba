"""
An HTTP backend that registers itself in ZooKeeper (or drover's keeper):
the process a real service would be, for the discovery tests that kill it.

    discovery_backend.py --port P --hosts H --path /svc/app/b1
                         [--timeout S] [--data TEXT]

Serves "backend <port>" on 127.0.0.1:<port>, then creates the ephemeral
znode <path> (data: "127.0.0.1:<port>" unless --data) through its own
kazoo session of <timeout> seconds, prints "registered 0x<session id>"
and serves until killed.
"""

import argparse
import http.server
import socketserver
import sys
import threading
import time

from kazoo.client import KazooClient


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        body = ("backend %d %s\n" % (self.server.server_address[1],
                                      self.headers.get("X-Worker", "-"))
                ).encode()
        # one write: a backend killed mid-answer sends nothing of it
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                         b"Content-Length: %d\r\n\r\n%s" % (len(body), body))

    def log_message(self, *args):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--hosts", required=True)
    ap.add_argument("--path", required=True)
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--data")
    a = ap.parse_args()

    srv = Server(("127.0.0.1", a.port), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()

    zk = KazooClient(hosts=a.hosts, timeout=a.timeout)
    zk.start(timeout=15)
    data = a.data if a.data is not None else "127.0.0.1:%d" % a.port
    zk.create(a.path, data.encode(), ephemeral=True, makepath=True)

    print("registered 0x%x" % zk.client_id[0], flush=True)

    while True:
        time.sleep(3600)


if __name__ == "__main__":
    sys.exit(main())
