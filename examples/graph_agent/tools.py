"""Agent tools: a sandboxed Python runner and the helpers that read its output."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass

from parsing import MetricRow, parse_table
from runlens_trace import set_attribute, step

SANDBOX_TIMEOUT_S = 5.0


@dataclass
class ToolResult:
    exit_code: int
    timed_out: bool
    stdout: str
    stderr: str


def run_sandboxed(code: str, timeout: float = SANDBOX_TIMEOUT_S) -> ToolResult:
    """Run untrusted tool code in a separate interpreter: isolated mode, empty env, temp cwd."""
    with step("sandbox.exec", {"sandbox.runtime": "python3", "sandbox.timeout_s": timeout, "code": code}):
        with tempfile.TemporaryDirectory(prefix="sandbox-") as workdir:
            try:
                done = subprocess.run(
                    [sys.executable, "-I", "-c", code],
                    cwd=workdir,
                    env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
                    capture_output=True,
                    text=True,
                    timeout=timeout,
                )
                result = ToolResult(done.returncode, False, done.stdout, done.stderr)
            except subprocess.TimeoutExpired as expired:
                out = expired.stdout.decode() if isinstance(expired.stdout, bytes) else (expired.stdout or "")
                err = expired.stderr.decode() if isinstance(expired.stderr, bytes) else (expired.stderr or "")
                result = ToolResult(-9, True, out, err)
        set_attribute("exit_code", result.exit_code)
        set_attribute("timed_out", result.timed_out)
        set_attribute("stdout_bytes", len(result.stdout.encode()))
        set_attribute("stderr_bytes", len(result.stderr.encode()))
        set_attribute("stdout", result.stdout)  # large: Runlens truncates it and records the size
        set_attribute("stderr", result.stderr)
        return result


def extract_metrics(result: ToolResult) -> dict[str, float]:
    """Average each metric over the rows the tool printed."""
    rows: list[MetricRow] = parse_table(result.stdout)
    totals: dict[str, list[float]] = {}
    for row in rows:
        totals.setdefault(row.metric, []).append(row.value)
    return {metric: sum(values) / len(values) for metric, values in totals.items()}
