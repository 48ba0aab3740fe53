"""A fake cluster for scripts/run-replicas.sh: answers every GET with 200, except to the probe
sources it has been told to fail, so one replica's probes can fail while the others' succeed
(each replica probes from its own server.probe_source).

    python3 backend.py 127.0.0.11 8080
    curl -d '' http://127.0.0.11:8080/fail/127.0.0.21   # 503 to westeurope's probes
    curl -d '' http://127.0.0.11:8080/heal/127.0.0.21   # 200 again
    curl -d '' http://127.0.0.11:8080/fail/all          # 503 to everyone (heal/all undoes it)
"""
import http.server
import sys
import threading

failing = set()  # source addresses answered 503; "all" for every one
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    def answer(self, status, text):
        body = (text + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        source = self.client_address[0]
        with lock:
            down = "all" in failing or source in failing
        self.answer(503 if down else 200, f"{'failing' if down else 'ok'} for {source}")

    def do_POST(self):
        parts = self.path.strip("/").split("/")
        if len(parts) != 2 or parts[0] not in ("fail", "heal"):
            return self.answer(404, "POST /fail/SOURCE or /heal/SOURCE (SOURCE: an address or all)")
        with lock:
            if parts[0] == "fail":
                failing.add(parts[1])
            else:
                failing.discard(parts[1])
            now = sorted(failing)
        self.answer(200, f"failing for: {', '.join(now) or 'nobody'}")

    def log_message(self, format, *args):  # probes come every second: no line per request
        pass


if __name__ == "__main__":
    address, port = sys.argv[1], int(sys.argv[2])
    http.server.ThreadingHTTPServer((address, port), Handler).serve_forever()
