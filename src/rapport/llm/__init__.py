"""The LLM adapter: an OpenAI-compatible chat-completions endpoint words the reply; the engine decides."""

from rapport.llm.drafter import LLMDrafter, LLMSettings

__all__ = ["LLMDrafter", "LLMSettings"]
