"""One module per step of phases/loop.yaml; each has ``run(ctx, **params) -> outcome``."""
