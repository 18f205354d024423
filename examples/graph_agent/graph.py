"""A tiny LangGraph-shaped StateGraph: named nodes, edges, one span per node run.

Every node is wrapped with the Runlens helper's `step` decorator, so its span carries the
node function's own code.filepath / code.lineno, and nested graphs (sub-agents) nest as
child spans through the helper's contextvar.
"""

from __future__ import annotations

from typing import Any, Callable

from runlens_trace import step

State = dict[str, Any]
Node = Callable[[State], State | None]
END = "__end__"


class CompiledGraph:
    def __init__(self, name: str, nodes: dict[str, Node], edges: dict[str, str], entry: str):
        self.name = name
        self._nodes = nodes
        self._edges = edges
        self._entry = entry

    def invoke(self, state: State) -> State:
        with step(self.name, {"graph.name": self.name, "graph.nodes": list(self._nodes)}):
            current = self._entry
            while current != END:
                update = self._nodes[current](state)
                if update:
                    state.update(update)
                current = self._edges.get(current, END)
            return state


class StateGraph:
    def __init__(self, name: str):
        self.name = name
        self._nodes: dict[str, Node] = {}
        self._edges: dict[str, str] = {}
        self._entry: str | None = None

    def add_node(self, name: str, fn: Node) -> "StateGraph":
        self._nodes[name] = step(name, {"graph.node": name, "graph.name": self.name})(fn)
        return self

    def add_edge(self, source: str, target: str) -> "StateGraph":
        self._edges[source] = target
        return self

    def set_entry_point(self, name: str) -> "StateGraph":
        self._entry = name
        return self

    def compile(self) -> CompiledGraph:
        if self._entry is None:
            raise ValueError(f"graph {self.name} has no entry point")
        return CompiledGraph(self.name, dict(self._nodes), dict(self._edges), self._entry)
