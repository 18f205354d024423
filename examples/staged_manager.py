"""Staged workflow manager with per-stage timeouts, traced with the Runlens copy-in helper.

    initialization -> issue_creation -> implementation -> pr_creation

Each stage runs in a worker thread and the manager waits at most the stage's timeout
(STAGE_TIMEOUT_SECONDS, default 1.5). What goes wrong here: the `implementation` stage waits
for a coding agent that never answers; its timeout fires and the manager — like many
home-grown watchdogs — kills its own process (SIGKILL) so nothing gets cleaned up. The
stage's start line was emitted, its end line never is: Runlens shows it RUNNING while the
process lives and INCOMPLETE once it is gone. `pr_creation` never starts.

    python3 examples/staged_manager.py
    STAGE_TIMEOUT_SECONDS=0.5 python3 examples/staged_manager.py

With CODING_AGENT_SECONDS set, the coding agent does answer, after that many seconds: the
workflow passes while the agent is quick, and a slow day shows as a stage far slower than its
baseline (Run Diff: "Slower than baseline: staged_manager › implementation").

    CODING_AGENT_SECONDS=0.05 STAGE_TIMEOUT_SECONDS=5 python3 examples/staged_manager.py
"""

from __future__ import annotations

import contextvars
import os
import signal
import sys
import threading
import time
from typing import Any, Callable

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "helpers"))
from runlens_trace import event, set_attribute, step  # noqa: E402  (copy-in helper)

STAGE_TIMEOUT = float(os.environ.get("STAGE_TIMEOUT_SECONDS", "1.5"))
# Unset: the coding agent never answers (the failure this example shows by default).
AGENT_SECONDS = os.environ.get("CODING_AGENT_SECONDS")


def log(message: str) -> None:
    print(f"[manager] {message}", file=sys.stderr, flush=True)


@step("initialization")
def initialization(state: dict[str, Any]) -> None:
    with step("load_config"):
        time.sleep(0.05)
        state["config"] = {"repo": "acme/api", "base_branch": "main"}
    with step("check_credentials", {"provider": "github"}):
        time.sleep(0.03)
    set_attribute("repo", state["config"]["repo"])


@step("issue_creation")
def issue_creation(state: dict[str, Any]) -> None:
    time.sleep(0.1)
    state["issue"] = "ACME-77"
    event("issue created", {"issue.key": state["issue"]})
    set_attribute("issue.key", state["issue"])


@step("implementation")
def implementation(state: dict[str, Any]) -> None:  # RUNLENS-MARK: implementation-def
    with step("checkout_branch", {"branch": f"feature/{state['issue'].lower()}"}):
        time.sleep(0.05)
    event("waiting for coding agent", {"agent": "coder", "issue.key": state["issue"]})
    # Without CODING_AGENT_SECONDS the coding agent's reply never arrives: this wait has no timeout of its own.
    threading.Event().wait(None if AGENT_SECONDS is None else float(AGENT_SECONDS))
    set_attribute("agent.reply", "patch ready")


@step("pr_creation")
def pr_creation(state: dict[str, Any]) -> None:
    time.sleep(0.05)
    state["pr"] = 481


STAGES: list[tuple[str, Callable[[dict[str, Any]], None]]] = [
    ("initialization", initialization),
    ("issue_creation", issue_creation),
    ("implementation", implementation),
    ("pr_creation", pr_creation),
]


def run_stage(name: str, fn: Callable[[dict[str, Any]], None], state: dict[str, Any], timeout: float) -> None:
    outcome: dict[str, BaseException | None] = {}
    context = contextvars.copy_context()  # the stage span nests under the manager's span

    def target() -> None:
        try:
            context.run(fn, state)
            outcome["error"] = None
        except BaseException as exc:  # noqa: BLE001 - reported by the manager
            outcome["error"] = exc

    worker = threading.Thread(target=target, name=f"stage-{name}", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        log(f"stage {name} exceeded its {timeout:g}s timeout; killing the manager (SIGKILL)")
        os.kill(os.getpid(), signal.SIGKILL)
    if outcome.get("error") is not None:
        raise RuntimeError(f"stage {name} failed") from outcome["error"]


@step("staged_manager")
def run_all() -> dict[str, Any]:
    state: dict[str, Any] = {}
    for name, fn in STAGES:
        log(f"stage {name} starting (timeout {STAGE_TIMEOUT:g}s)")
        run_stage(name, fn, state, STAGE_TIMEOUT)
        log(f"stage {name} done")
    return state


if __name__ == "__main__":
    print(f"done: {run_all()}")
