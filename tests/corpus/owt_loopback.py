"""Loopback servers for the OpenWebText tests: a real pywb CDX server over an index built by the real
``cdxj-indexer`` from the CC-MAIN mirror's WARC files, and a real HTTP server with Range support serving
those WARC files, as CommonCrawl serves them. Needs the ``test-servers`` extra of roberta-corpus.

Used by the test modules through ``from owt_loopback import ...`` (pytest puts this folder on sys.path).
"""

from __future__ import annotations

import functools
import http.server
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

MIRROR = "cc_main_mirror"
COLLECTION = "cc"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def venv_tool(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def build_index(mirror: Path, root: Path) -> Path:
    """Index every WARC of the mirror with cdxj-indexer into a pywb collection under ``root``."""
    index = root / "collections" / COLLECTION / "indexes" / "index.cdxj"
    index.parent.mkdir(parents=True)
    warcs = sorted(str(p) for p in mirror.rglob("*.warc.gz"))
    cmd = [venv_tool("cdxj-indexer"), "--sort", "--dir-root", str(mirror), "-o", str(index), *warcs]
    subprocess.run(cmd, check=True, capture_output=True)
    return index


@contextmanager
def pywb_server(root: Path) -> Iterator[str]:
    """Run pywb's ``wayback`` over ``root``'s collections; yield the CDX endpoint URL."""
    port = free_port()
    log = open(root / "pywb.log", "wb")
    proc = subprocess.Popen(
        [venv_tool("wayback"), "-p", str(port), "-b", "127.0.0.1"],
        cwd=root,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    endpoint = f"http://127.0.0.1:{port}/{COLLECTION}/cdx"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(endpoint, params={"url": "example.com", "output": "json"}, timeout=2)
                break
            except requests.ConnectionError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"pywb did not start: {(root / 'pywb.log').read_text()[-2000:]}"
                    ) from None
                time.sleep(0.2)
        yield endpoint
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


@contextmanager
def http_server(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve ``handler`` on a loopback port in a thread; yield its base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def range_server(directory: Path):
    """A real HTTP file server with Range support (RangeHTTPServer) over ``directory``."""
    from RangeHTTPServer import RangeRequestHandler

    class Quiet(RangeRequestHandler):
        def log_message(self, *args):  # keep pytest output clean
            pass

    return http_server(functools.partial(Quiet, directory=str(directory)))  # type: ignore[arg-type]


def failing_server(status: int = 503):
    """A real HTTP server whose every answer is ``status`` (an overloaded index), counting its hits."""

    class Failing(http.server.BaseHTTPRequestHandler):
        hits = 0

        def do_GET(self):
            type(self).hits += 1
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    return Failing, http_server(Failing)


def flaky_proxy(target: str, fail_first: int = 1):
    """A real HTTP server answering 503 to the first ``fail_first`` requests, then relaying to ``target``."""

    class Flaky(http.server.BaseHTTPRequestHandler):
        hits = 0

        def do_GET(self):
            type(self).hits += 1
            if type(self).hits <= fail_first:
                self.send_response(503)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            query = self.path.split("?", 1)[1] if "?" in self.path else ""
            resp = requests.get(f"{target}?{query}", timeout=10)
            body = resp.content
            self.send_response(resp.status_code)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    return Flaky, http_server(Flaky)
