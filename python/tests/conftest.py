"""Shared fixtures of the geoplex Python tests.

Tests on real data read $GEOPLEX_TEST_DATA (the shared/data folder). Without it they are skipped,
unless GEOPLEX_REQUIRE_TEST_DATA=1 or CI is set, in which case they fail.
"""

import os
import pathlib

import pytest

import geoplex


def _truthy(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no", "off")


def _require_data() -> bool:
    return _truthy("GEOPLEX_REQUIRE_TEST_DATA") or _truthy("CI")


@pytest.fixture(scope="session")
def test_data() -> pathlib.Path:
    """The real-data folder, or skip (fail on CI) when GEOPLEX_TEST_DATA is unset or wrong."""
    value = os.environ.get("GEOPLEX_TEST_DATA", "")
    problem = None
    if not value:
        problem = "GEOPLEX_TEST_DATA is not set"
    elif not (pathlib.Path(value) / "dem" / "N43E007.hgt").is_file():
        problem = f"GEOPLEX_TEST_DATA={value} has no dem/N43E007.hgt"
    if problem:
        if _require_data():
            pytest.fail(f"{problem} (required: GEOPLEX_REQUIRE_TEST_DATA/CI is set)")
        pytest.skip(problem)
    return pathlib.Path(value)


@pytest.fixture(scope="session")
def village(tmp_path_factory):
    """A synthetic 'village' territory (geoplex.synth) and the bundle built from its bundle.toml."""
    root = tmp_path_factory.mktemp("village")
    summary = geoplex.synth(root / "territory", size="village", seed=1)
    calls = []
    geoplex.build(summary["bundle"], root / "bundle", progress=lambda task, done, total: calls.append((task, done, total)))
    return {"summary": summary, "bundle": root / "bundle", "progress_calls": calls}


SRTM_SPEC = """\
name = "test"
[altitude]
[[altitude.resources]]
id = "srtm"
title = "SRTM"
[[altitude.resources.sources]]
name = "srtm"
path = "{path}"
priority = 1
storage = "embed"
"""


@pytest.fixture(scope="session")
def srtm_hgt(test_data) -> pathlib.Path:
    return test_data / "dem" / "N43E007.hgt"


@pytest.fixture(scope="session")
def srtm_engine(srtm_hgt, tmp_path_factory):
    """A bundle with one altitude resource 'srtm' embedding N43E007.hgt."""
    root = tmp_path_factory.mktemp("srtm")
    spec = root / "bundle.toml"
    spec.write_text(SRTM_SPEC.format(path=srtm_hgt.resolve().as_posix()), encoding="utf-8")
    geoplex.build(spec, root / "bundle", progress=False)
    return geoplex.open(root / "bundle")
