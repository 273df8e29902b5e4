"""A loopback proxy that adds a fixed per-request latency in front of the
moto server, so the benchmarks see what concurrency buys against a real,
distant region. Benchmark-only: not part of the shipped package."""

from __future__ import annotations

from typing import Optional

from auditor.live.server import free_port


class LatencyProxy:
    """A loopback HTTP proxy that waits ``delay`` seconds before forwarding
    each request to ``target`` (e.g. the moto server): a real AWS region is
    ~50 ms away, a local server ~0 ms, and what concurrency buys only shows
    with the latency. Used by the benchmarks; bound to 127.0.0.1 only."""

    def __init__(self, target: str, delay: float = 0.05, port: Optional[int] = None) -> None:
        self.target = target.rstrip("/")
        self.delay = delay
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.requests = 0
        self._httpd = None
        self._thread = None

    def start(self) -> "LatencyProxy":
        import http.client
        import threading
        import time
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        from urllib.parse import urlsplit

        proxy = self
        host = urlsplit(self.target)
        lock = threading.Lock()
        local = threading.local()
        hop = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade", "content-length"}

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with lock:
                    proxy.requests += 1
                time.sleep(proxy.delay)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in hop}
                for attempt in range(2):
                    conn = getattr(local, "conn", None)
                    if conn is None:
                        conn = local.conn = http.client.HTTPConnection(host.hostname, host.port, timeout=60)
                    try:
                        conn.request(self.command, self.path, body=body, headers=headers)
                        resp = conn.getresponse()
                        data = resp.read()
                        break
                    except (OSError, http.client.HTTPException):
                        conn.close()
                        local.conn = None
                        if attempt:
                            raise
                if resp.getheader("connection", "").lower() == "close":
                    conn.close()
                    local.conn = None
                self.send_response(resp.status, resp.reason)
                for k, v in resp.getheaders():
                    if k.lower() not in hop:
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _forward

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 256

        self._httpd = Server(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
