"""Parsing of tool output: CSV-ish `run_id,metric,value` rows into records."""

from __future__ import annotations

from dataclasses import dataclass


class ParseError(ValueError):
    """The tool printed something the agent cannot read."""


@dataclass
class MetricRow:
    run_id: str
    metric: str
    value: float


def parse_row(number: int, line: str) -> MetricRow:
    fields = line.split(",")
    if len(fields) != 3:
        raise ParseError(f"row {number}: expected 3 fields, got {len(fields)}: {line!r}")  # RUNLENS-MARK: parse-raises
    run_id, metric, value = fields
    return MetricRow(run_id, metric, float(value))


def parse_table(text: str) -> list[MetricRow]:
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines or lines[0] != "run_id,metric,value":
        raise ParseError("missing header row")
    return [parse_row(number, line) for number, line in enumerate(lines[1:], start=2)]
