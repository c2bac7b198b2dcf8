"""Helm's mergeMaps, on its own: values (the -f files, the chart's values) and strvals (a whole-object
--set-json) both merge with it, and neither should import the other for it."""
from __future__ import annotations


def merge_maps(base: dict, over: dict) -> dict:
    """Helm's mergeMaps: `over` wins; nested maps merge."""
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge_maps(out[k], v)
        else:
            out[k] = v
    return out
