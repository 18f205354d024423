"""Nodes of the main agent graph."""

from __future__ import annotations

from graph import State
from llm import chat
from subagent import build_research_agent
from tools import extract_metrics, run_sandboxed

# What the "model" decides to run in the sandbox: dump per-run metrics as CSV.
# One run has no recorded cost, and the dump writes that row without its value field.
TOOL_CODE = """
import sys
print("run_id,metric,value")
for run in range(1, 271):
    for metric in ("latency_ms", "error_rate", "cost_usd"):
        value = None if (run, metric) == (263, "cost_usd") else round((run * 37 % 101) / 7, 3)
        print(f"run-{run:04d},{metric}" + ("" if value is None else f",{value}"))
print("warning: 1 run without cost data", file=sys.stderr)
"""


def plan(state: State) -> State:
    return {"plan": chat("plan the analysis: " + state["question"])}


def research(state: State) -> State:
    # Delegation: the sub-agent's graph runs inside this node's span.
    findings = build_research_agent().compile().invoke({"question": state["question"]})
    return {"research": findings["summary"]}


def execute_tool(state: State) -> State:
    return {"tool_result": run_sandboxed(TOOL_CODE)}


def answer(state: State) -> State:  # RUNLENS-MARK: answer-def
    metrics = extract_metrics(state["tool_result"])
    return {"answer": chat(f"answer using {metrics}: {state['question']}")}
