"""What the idle daemon does with each kind of file change."""

from __future__ import annotations

from pathlib import Path

from loopd.engine import rerun
from loopd.state import KNOWN_GATES, LoopState, save_state
from loopd.watch import Change, Trigger
from tests.engine.support import context, replay_config, write_script


def _ctx(repo: Path, notes: list[str]):  # type: ignore[no-untyped-def]
    ctx = context(repo, replay_config(write_script(repo, [{"do": [{"print": "ok"}]}])), notes)
    ctx.update(LoopState(sprint="s1", step="done", exit_code=0, gates=frozenset(KNOWN_GATES)))
    return ctx


def test_docs_invalidate_planning_but_keep_preflight_services_and_test_plan(
    repo: Path, sprint_dir: Path
) -> None:
    ctx = _ctx(repo, [])
    decision = rerun.decide(ctx, [Change(Trigger.DOCS, ("docs/sprints/s1/PRD.md",))])
    assert decision.resume and decision.reasons == (
        "docs/sprints/s1/PRD.md changed: planning runs again",
    )
    assert ctx.state.gates == {"preflight", "service_readiness", "test_plan_generated"}


def test_new_pending_items_resume_prompts_do_not(repo: Path, sprint_dir: Path) -> None:
    notes: list[str] = []
    ctx = _ctx(repo, notes)
    plan = Change(Trigger.PLAN_PENDING, ("docs/sprints/s1/IMPLEMENTATION_PLAN.md",))
    assert rerun.decide(ctx, [plan]).resume
    prompts = Change(Trigger.PROMPTS, (".loopd/prompts/fix.md.j2",))
    assert rerun.decide(ctx, [prompts]) == rerun.Decision(False)
    assert any("the next call uses them" in note for note in notes)


def test_a_hand_edited_state_is_reloaded_a_removed_one_is_not(repo: Path, sprint_dir: Path) -> None:
    ctx = _ctx(repo, [])
    edited = ctx.state.evolve(iteration=42)
    save_state(ctx.sprint.state_file, edited, ctx.sprint.files_lock)
    rerun.decide(ctx, [Change(Trigger.STATE, ("docs/sprints/s1/LOOP_STATE.md",))])
    assert ctx.state.iteration == 42
    ctx.sprint.state_file.unlink()  # archived after a full success
    rerun.decide(ctx, [Change(Trigger.STATE, ("docs/sprints/s1/LOOP_STATE.md",))])
    assert ctx.state.iteration == 42 and ctx.state.gates  # not a fresh state


def test_reopen_goes_back_to_the_top_after_an_end_and_resumes_a_stop(
    repo: Path, sprint_dir: Path
) -> None:
    ctx = _ctx(repo, [])
    rerun.reopen(ctx, "done", first="loop_start")
    assert (ctx.state.step, ctx.state.exit_code) == ("loop_start", None)
    ctx.update(ctx.state.evolve(step="implement", stop_reason="budget: ..."))
    rerun.reopen(ctx, "done", first="loop_start")
    assert (ctx.state.step, ctx.state.stop_reason) == ("implement", None)
