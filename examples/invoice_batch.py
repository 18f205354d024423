"""Nightly invoice batch: load invoices, convert them to one currency, write a report.

It passes until something around it changes — the two ways "it worked yesterday" usually
breaks, each of which Run Diff names first:

- an INPUT changes: someone adds a row in a currency the rate table does not know
  (examples/data/invoices.csv; declare it with `runlens run --input 'examples/data/*.csv'` or a
  workflow's `inputs`), and `convert` fails with KeyError: 'no rate for XBT';
- an ENVIRONMENT VARIABLE changes: REPORT_CURRENCY (default EUR) set to a currency the rate
  table does not know (e.g. CHF) fails `convert` the same way. Runlens records the variable's
  name and a hash of its value, never the value.

    npx runlens run --input 'examples/data/*.csv' -- python3 examples/invoice_batch.py
    REPORT_CURRENCY=CHF npx runlens run -- python3 examples/invoice_batch.py
    npx runlens diff last
"""

from __future__ import annotations

import csv
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "helpers"))
from runlens_trace import set_attribute, step  # noqa: E402  (copy-in helper)

INPUT = os.environ.get("INVOICE_INPUT", os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "invoices.csv"))
# Units of EUR per unit of each currency.
RATES = {"EUR": 1.0, "USD": 0.92, "GBP": 1.17}


@step("load_invoices")
def load_invoices(path: str) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    set_attribute("invoices.count", len(rows))
    set_attribute("invoices.currencies", ",".join(sorted({r["currency"] for r in rows})))
    print(f"loaded {len(rows)} invoices from {os.path.basename(path)}")
    return rows


def rate(currency: str) -> float:
    if currency not in RATES:
        raise KeyError(f"no rate for {currency}")  # RUNLENS-MARK: invoice-rate
    return RATES[currency]


@step("convert")
def convert(rows: list[dict[str, str]], target: str) -> list[float]:
    set_attribute("report.currency", target)
    return [float(r["amount"]) * rate(r["currency"]) / rate(target) for r in rows]


@step("write_report")
def write_report(amounts: list[float], target: str) -> None:
    total = sum(amounts)
    set_attribute("report.total", round(total, 2))
    print(f"total: {total:.2f} {target}")


@step("invoice_batch")
def main() -> None:
    target = os.environ.get("REPORT_CURRENCY", "EUR")
    rows = load_invoices(INPUT)
    write_report(convert(rows, target), target)


if __name__ == "__main__":
    try:
        main()
    except KeyError as exc:
        print(f"invoice batch failed: {exc}", file=sys.stderr)
        sys.exit(1)
