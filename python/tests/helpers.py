"""Small helpers shared by the binding tests."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable, List

import geoplex


def build_bundle(root: Path, spec: str) -> Path:
    """Writes `spec` (TOML) as root/bundle.toml, builds root/bundle and returns its path."""
    (root / "bundle.toml").write_text(spec, encoding="utf-8")
    geoplex.build(root / "bundle.toml", root / "bundle", progress=False)
    return root / "bundle"


def run_in_threads(work: Callable[[], object], count: int = 4) -> List[object]:
    """Runs `work()` in `count` threads at once; returns their results (re-raises the first error)."""
    results: List[object] = [None] * count
    errors: List[BaseException] = []

    def run(k: int) -> None:
        try:
            results[k] = work()
        except BaseException as e:  # noqa: BLE001 - re-raised below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results
