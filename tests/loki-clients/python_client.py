"""python-logging-loki against a running Log Sentinel: both emitter versions ("0",
the legacy labels/entries JSON; "1", the v1 stream/values JSON), each to both push
paths. Usage: python_client.py BASE_URL. Exits non-zero when a push fails."""

import logging
import sys

import logging_loki

base = sys.argv[1]
failures = []


class Handler(logging_loki.LokiHandler):
    def handleError(self, record):  # noqa: N802 - logging's name
        failures.append(sys.exc_info()[1])
        super().handleError(record)


for version in ("0", "1"):
    for path in ("/loki/api/v1/push", "/api/prom/push"):
        name = f"python-v{version}{path.replace('/', '-')}"
        logger = logging.getLogger(name)
        logger.propagate = False
        logger.setLevel(logging.DEBUG)
        handler = Handler(url=base + path, tags={"app": name}, version=version)
        logger.addHandler(handler)
        logger.warning("%s warning", name)
        logger.error("%s error", name, extra={"tags": {"request-id": "r-1"}})
        logger.removeHandler(handler)
        handler.close()

if failures:
    print(f"{len(failures)} pushes failed: {failures}", file=sys.stderr)
    sys.exit(1)
