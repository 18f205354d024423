"""The research sub-agent: its own graph, invoked from a node of the main agent."""

from __future__ import annotations

import time

from graph import StateGraph, State
from llm import chat

DOCUMENTS = {
    "latency": "p95 latency regressed after the cache change in run-0117",
    "errors": "error rate is flat across runs",
    "cost": "token cost per run dropped 12% with the smaller model",
}


def search(state: State) -> State:
    time.sleep(0.03)
    hits = [text for key, text in DOCUMENTS.items() if key in state["question"].lower()]
    return {"hits": hits or list(DOCUMENTS.values())}


def summarize(state: State) -> State:
    return {"summary": chat("summarize for the planner: " + "; ".join(state["hits"]))}


def build_research_agent() -> "StateGraph":
    graph = StateGraph("research_agent")
    graph.add_node("search", search).add_node("summarize", summarize)
    graph.add_edge("search", "summarize")
    graph.set_entry_point("search")
    return graph
