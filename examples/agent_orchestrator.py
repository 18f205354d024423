"""Agent orchestrator pipeline: an issue comes in, agents classify, plan, code, review, open a PR.

Each agent runs in turn and the orchestrator records an execution trace: one JSON document
printed on ONE stdout line when the pipeline ends (everything else it prints is plain logs):

    {"trace_id", "trigger": {source, issue_key, intent_type, timestamp}, "intent_type",
     "pipeline_status": RUNNING|SUCCESS|PARTIAL|FAILED, "started_at", "completed_at",
     "steps": [{step_number, agent_name, agent_task, status: STARTED|SUCCESS|FAIL|BLOCKED,
                started_at, completed_at, success, error_message, output_summary}],
     "final_error"}

What goes wrong here: the code-review agent BLOCKS the change (a policy check it cannot
pass), so the PR agent never runs and the pipeline ends PARTIAL — not FAILED, not SUCCESS.
The process itself exits 0: the orchestrator did its job and reported.

    python3 examples/agent_orchestrator.py [ISSUE_KEY]
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from datetime import datetime, timezone
from typing import Any, Callable


def iso_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def log(message: str) -> None:
    print(f"{datetime.now().strftime('%H:%M:%S')} [orchestrator] {message}", flush=True)


class Blocked(Exception):
    """An agent refused to let the pipeline continue (a gate, not a crash)."""


# --- the agents: deterministic stand-ins for LLM calls ----------------------------------

def classify_intent(ctx: dict[str, Any]) -> str:
    time.sleep(0.05)
    ctx["intent"] = "feature_request"
    return f"intent={ctx['intent']} (confidence 0.93)"


def plan_work(ctx: dict[str, Any]) -> str:
    time.sleep(0.08)
    ctx["plan"] = ["add rate limiter middleware", "configure limits per API key", "add tests"]
    return f"{len(ctx['plan'])} tasks planned"


def write_code(ctx: dict[str, Any]) -> str:
    time.sleep(0.12)
    ctx["diff"] = {"files": ["api/middleware/rate_limit.py", "api/settings.py", "tests/test_rate_limit.py"],
                   "added": 142, "removed": 9, "touches_secrets": True}
    return f"{len(ctx['diff']['files'])} files changed (+{ctx['diff']['added']}/-{ctx['diff']['removed']})"


def review_code(ctx: dict[str, Any]) -> str:
    time.sleep(0.06)
    if ctx["diff"].get("touches_secrets"):
        raise Blocked("review blocked: api/settings.py changes secret handling; human approval required")
    return "approved"


def create_pr(ctx: dict[str, Any]) -> str:
    time.sleep(0.05)
    return "PR #481 opened"


PIPELINE: list[tuple[str, str, Callable[[dict[str, Any]], str]]] = [
    ("intent_classifier", "Classify the issue intent", classify_intent),
    ("planner", "Break the issue into implementation tasks", plan_work),
    ("coder", "Implement the planned tasks", write_code),
    ("code_reviewer", "Review the change against repository policy", review_code),
    ("pr_creator", "Open a pull request with the change", create_pr),
]


def run_pipeline(issue_key: str) -> dict[str, Any]:
    trace: dict[str, Any] = {
        "trace_id": str(uuid.uuid4()),
        "trigger": {"source": "jira_webhook", "issue_key": issue_key, "intent_type": "feature_request",
                    "timestamp": iso_now()},
        "intent_type": "feature_request",
        "pipeline_status": "RUNNING",
        "started_at": iso_now(),
        "steps": [],
    }
    ctx: dict[str, Any] = {"issue_key": issue_key}
    log(f"trigger {issue_key} from jira_webhook, trace {trace['trace_id']}")
    for number, (agent, task, fn) in enumerate(PIPELINE, start=1):
        step: dict[str, Any] = {"step_number": number, "agent_name": agent, "agent_task": task,
                                "status": "STARTED", "started_at": iso_now()}
        trace["steps"].append(step)
        log(f"step {number}: {agent} started")
        try:
            summary = fn(ctx)
        except Blocked as blocked:
            step.update(status="BLOCKED", success=False, error_message=str(blocked),
                        output_summary="change held for human review")
            trace["pipeline_status"] = "PARTIAL"
            trace["final_error"] = f"{agent}: {blocked}"
        except Exception as exc:  # noqa: BLE001 - the orchestrator reports every failure
            step.update(status="FAIL", success=False, error_message=f"{type(exc).__name__}: {exc}")
            trace["pipeline_status"] = "FAILED"
            trace["final_error"] = f"{agent}: {type(exc).__name__}: {exc}"
        else:
            step.update(status="SUCCESS", success=True, output_summary=summary)
        step["completed_at"] = iso_now()
        log(f"step {number}: {agent} {step['status']}" + (f" - {step['error_message']}" if "error_message" in step else ""))
        if step["status"] != "SUCCESS":
            break
    else:
        trace["pipeline_status"] = "SUCCESS"
    trace["completed_at"] = iso_now()
    return trace


def main(argv: list[str]) -> int:
    trace = run_pipeline(argv[0] if argv else "PROJ-142")
    log(f"pipeline {trace['pipeline_status']}")
    print(json.dumps(trace), flush=True)  # the execution trace: one line, one document
    return 1 if trace["pipeline_status"] == "FAILED" else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
