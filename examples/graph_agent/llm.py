"""A deterministic stand-in for a chat model: no network, no keys, a short sleep."""

from __future__ import annotations

import hashlib
import time

from runlens_trace import set_attribute, step


def chat(prompt: str, model: str = "fake-gpt-mini") -> str:
    with step("llm.chat", {"llm.model": model, "llm.prompt": prompt}):
        time.sleep(0.04)
        digest = hashlib.sha256(prompt.encode()).hexdigest()[:8]
        reply = f"[{model}:{digest}] " + prompt.split(":")[-1].strip()[:80]
        set_attribute("llm.completion", reply)
        set_attribute("llm.usage.total_tokens", len(prompt.split()) + len(reply.split()))
        return reply
