"""The quick starts of docs/python.md run as written."""

import pathlib
import re


DOC = pathlib.Path(__file__).resolve().parents[2] / "docs" / "python.md"


def python_blocks():
    return re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def test_quick_starts_run(tmp_path, monkeypatch):
    """The first quick start, then the Routing, Geocoding, Tiles and Isochrones ones (which use its bundle)."""
    blocks = python_blocks()
    assert blocks, f"no python block in {DOC}"
    sections = [b for b in blocks if b.startswith(("# Routing", "# Geocoding", "# Tiles", "# Isochrones"))]
    assert len(sections) == 4, "docs/python.md must keep one quick start per component"
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(blocks[0], str(DOC), "exec"), namespace)  # noqa: S102 - our own documentation
    line, z = namespace["line"], namespace["z"]
    assert len(line) == 200 and z.shape == (1_000_000,)
    assert namespace["feature"]["geometry"]["type"] == "LineString"
    assert (tmp_path / "demo-bundle" / "manifest.toml").is_file()
    for block in sections:
        exec(compile(block, str(DOC), "exec"), namespace)  # noqa: S102
    assert namespace["route"].ok and namespace["durations"].shape == (50, 50)
    assert namespace["out"]["result_label"].iloc[0] and namespace["stats"] == {"rows": 2, "matched": 1}
    assert namespace["rgba"].shape == (256, 256, 4) and namespace["png"][:4] == b"\x89PNG"
    assert [f["properties"]["cost_value"] for f in namespace["fc"]["features"]] == [300, 600, 900]
    assert len(namespace["shapes"]) == 3 and namespace["grid"].ndim == 2
