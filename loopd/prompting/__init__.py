"""Prompt templates: lookup across sprint/repo/loop-v2/default layers, context, rendering.

Callers need only this package: :func:`render` a prompt name with a
:class:`PromptContext`; :data:`ROLE_FOR_PROMPT` gives the agent's LOOPD_ROLE.
"""

from __future__ import annotations

from loopd.prompting.context import (
    Attempt,
    Evidence,
    Paths,
    Peer,
    PromptContext,
    ServiceReport,
    TaskInfo,
    TestInfo,
    as_task,
    as_test,
    related_tasks,
)
from loopd.prompting.lookup import (
    PROMPT_NAMES,
    ROLE_FOR_PROMPT,
    TemplateRef,
    find_template,
    list_templates,
    skipped_templates,
    template_warnings,
)
from loopd.prompting.render import Rendered, render, render_prompt

__all__ = [
    "PROMPT_NAMES",
    "ROLE_FOR_PROMPT",
    "Attempt",
    "Evidence",
    "Paths",
    "Peer",
    "PromptContext",
    "Rendered",
    "ServiceReport",
    "TaskInfo",
    "TemplateRef",
    "TestInfo",
    "as_task",
    "as_test",
    "find_template",
    "list_templates",
    "related_tasks",
    "render",
    "render_prompt",
    "skipped_templates",
    "template_warnings",
]
