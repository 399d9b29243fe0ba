"""The quick start of docs/python.md runs as written."""

import pathlib
import re


DOC = pathlib.Path(__file__).resolve().parents[2] / "docs" / "python.md"


def python_blocks():
    return re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def test_quick_start_runs(tmp_path, monkeypatch):
    blocks = python_blocks()
    assert blocks, f"no python block in {DOC}"
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(blocks[0], str(DOC), "exec"), namespace)  # noqa: S102 - our own documentation
    line, z = namespace["line"], namespace["z"]
    assert len(line) == 200 and z.shape == (1_000_000,)
    assert namespace["feature"]["geometry"]["type"] == "LineString"
    assert (tmp_path / "demo-bundle" / "manifest.toml").is_file()
