"""A loopback moto server: the ``--sandbox`` demo account and the live tests
use the same one, reached over HTTP through ``AWS_ENDPOINT_URL`` exactly as
a real endpoint would be."""

from __future__ import annotations

import logging
import socket
import urllib.request
from typing import Optional


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalServer:
    """``ThreadedMotoServer`` bound to 127.0.0.1 only."""

    def __init__(self, port: Optional[int] = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = None

    def start(self) -> "LocalServer":
        try:
            from moto.server import ThreadedMotoServer
        except ImportError as e:  # pragma: no cover - depends on the install
            raise RuntimeError(
                "the sandbox needs moto's server: pip install 'sm-audit[sandbox]'") from e
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()
        return self

    def reset(self) -> None:
        req = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        urllib.request.urlopen(req, timeout=10).read()

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> "LocalServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
