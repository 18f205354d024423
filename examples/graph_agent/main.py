"""Graph agent with nested delegation, LangGraph/MLflow style, traced as Runlens span events.

    graph_agent: plan -> research (delegates to research_agent: search -> summarize)
                      -> execute_tool (sandbox.exec: a real `python3 -c` subprocess)
                      -> answer

Spans are Runlens JSON-lines events from the copy-in helper (examples/helpers/
runlens_trace.py) on stdout. What goes wrong here: the sandboxed tool prints ~22 KiB of CSV
(kept as the `stdout` attribute of sandbox.exec, which Runlens truncates) with one malformed
row, and the `answer` node fails inside parsing.py, three modules below this file.

    python3 examples/graph_agent/main.py
"""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "helpers"))

from graph import StateGraph  # noqa: E402
from nodes import answer, execute_tool, plan, research  # noqa: E402


def build_agent() -> StateGraph:
    graph = StateGraph("graph_agent")
    graph.add_node("plan", plan)
    graph.add_node("research", research)
    graph.add_node("execute_tool", execute_tool)
    graph.add_node("answer", answer)
    graph.add_edge("plan", "research").add_edge("research", "execute_tool").add_edge("execute_tool", "answer")
    graph.set_entry_point("plan")
    return graph


def main() -> int:
    question = sys.argv[1] if len(sys.argv) > 1 else "Why did latency and cost change across the last runs?"
    state = build_agent().compile().invoke({"question": question})
    print(state["answer"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
