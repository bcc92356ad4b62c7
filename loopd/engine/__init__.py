"""The loop engine: phases/loop.yaml built into a transitions Machine, one module per step."""
