"""Multi-step scraping workflow with structured JSON logs, Agno style.

No tracing library at all: the workflow logs one JSON object per line on stderr through
`logging`, the way many teams already do,

    {"timestamp", "level", "message", "event": "step_start"|"step_end"|"error",
     "step_name", "workflow_id", "duration_ms"?, "success"?, "attempt"?}

and Runlens turns each step_start/step_end pair into a span grouped by workflow_id.
Retries with exponential backoff show up as repeated steps. What goes wrong here: one
product page keeps timing out; after 3 attempts the `fetch_page` step gives up, the
workflow logs an error and exits 1. The other pages were scraped fine.

    python3 examples/scraping_workflow.py
"""

from __future__ import annotations

import json
import logging
import sys
import time
import uuid
from datetime import datetime, timezone
from typing import Any, Callable

MAX_ATTEMPTS = 3
BACKOFF_S = 0.1  # 0.1, 0.2, 0.4 ...

PAGES = {
    "https://shop.example/p/espresso-grinder": "<h1>Espresso grinder</h1><span class=price>189.00</span>",
    "https://shop.example/p/milk-frother": "<h1>Milk frother</h1><span class=price>39.90</span>",
    "https://shop.example/p/burr-set": None,  # the page that never answers in time
}


class JsonFormatter(logging.Formatter):
    FIELDS = ("event", "step_name", "workflow_id", "duration_ms", "success", "attempt", "url", "error")

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "message": record.getMessage(),
        }
        for key in self.FIELDS:
            if hasattr(record, key):
                doc[key] = getattr(record, key)
        return json.dumps(doc)


handler = logging.StreamHandler(sys.stderr)
handler.setFormatter(JsonFormatter())
logger = logging.getLogger("scraper")
logger.addHandler(handler)
logger.setLevel(logging.INFO)
logger.propagate = False

WORKFLOW_ID = f"scrape-{uuid.uuid4().hex[:12]}"


class StepFailed(Exception):
    pass


def run_step(name: str, fn: Callable[[], Any], retries: int = 1, **fields: Any) -> Any:
    """Run one step, logging start/end; retried with exponential backoff when asked."""
    for attempt in range(1, retries + 1):
        extra = {"step_name": name, "workflow_id": WORKFLOW_ID, "attempt": attempt, **fields}
        logger.info(f"{name} started", extra={"event": "step_start", **extra})
        started = time.perf_counter()
        try:
            result = fn()
        except Exception as exc:  # noqa: BLE001 - logged, then retried or raised
            duration = round((time.perf_counter() - started) * 1000, 1)
            logger.warning(f"{name} failed: {exc}", extra={"event": "step_end", "success": False,
                                                             "duration_ms": duration, "error": f"{type(exc).__name__}: {exc}", **extra})
            if attempt == retries:
                raise StepFailed(f"{name} failed after {retries} attempts: {exc}") from exc
            time.sleep(BACKOFF_S * 2 ** (attempt - 1))
        else:
            duration = round((time.perf_counter() - started) * 1000, 1)
            logger.info(f"{name} finished", extra={"event": "step_end", "success": True, "duration_ms": duration, **extra})
            return result
    raise AssertionError("unreachable")


def fetch(url: str) -> str:
    """Stands in for an HTTP GET with a 150 ms client timeout."""
    time.sleep(0.05)
    body = PAGES[url]
    if body is None:
        time.sleep(0.1)
        raise TimeoutError(f"GET {url} timed out after 150 ms")
    return body


def parse(html: str) -> dict[str, Any]:
    title = html.split("<h1>")[1].split("</h1>")[0]
    price = float(html.split("class=price>")[1].split("<")[0])
    return {"title": title, "price": price}


def main() -> int:
    products: list[dict[str, Any]] = []
    try:
        urls = run_step("load_sitemap", lambda: (time.sleep(0.03), list(PAGES))[1])
        for url in urls:
            html = run_step("fetch_page", lambda: fetch(url), retries=MAX_ATTEMPTS, url=url)
            products.append(run_step("parse_page", lambda: parse(html), url=url))
        run_step("store_products", lambda: time.sleep(0.02))
    except StepFailed as exc:
        logger.error(str(exc), extra={"event": "error", "step_name": "fetch_page", "workflow_id": WORKFLOW_ID,
                                      "success": False})
        print(f"scraped {len(products)} of {len(PAGES)} products before failing")
        return 1
    print(f"scraped {len(products)} products")
    return 0


if __name__ == "__main__":
    sys.exit(main())
