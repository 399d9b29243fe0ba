"""geoplex.Error and its subclasses, mapped from the C++ hierarchy in one place."""

import numpy as np
import pytest

import geoplex


def test_hierarchy():
    assert issubclass(geoplex.IoError, geoplex.Error) and issubclass(geoplex.IoError, OSError)
    assert issubclass(geoplex.InvalidArgument, geoplex.Error) and issubclass(geoplex.InvalidArgument, ValueError)
    assert issubclass(geoplex.NotFound, geoplex.Error) and issubclass(geoplex.NotFound, LookupError)
    assert issubclass(geoplex.FormatError, geoplex.Error)
    assert issubclass(geoplex.DependencyError, geoplex.Error)
    assert geoplex.Error.__module__ == "geoplex"


def test_missing_bundle_is_io_error(tmp_path):
    missing = tmp_path / "no-such-bundle"
    with pytest.raises(OSError) as info:
        geoplex.open(missing)
    assert isinstance(info.value, geoplex.IoError)
    assert info.value.code == "io_error"
    assert str(missing) in str(info.value)


def test_corrupt_manifest_is_format_error(tmp_path):
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "manifest.toml").write_text("this is = = not toml [[[\n", encoding="utf-8")
    with pytest.raises(geoplex.FormatError) as info:
        geoplex.open(bundle)
    assert info.value.code == "format_error"
    assert "manifest.toml" in str(info.value)


def test_bad_spec_lists_every_problem(tmp_path):
    spec = tmp_path / "bundle.toml"
    spec.write_text('colour = "blue"\n', encoding="utf-8")
    with pytest.raises(ValueError) as info:
        geoplex.build(spec, tmp_path / "out", progress=False)
    err = info.value
    assert isinstance(err, geoplex.InvalidArgument)
    assert err.code == "invalid_argument"
    assert len(err.problems) >= 2  # unknown key 'colour' and the missing name
    assert any("colour" in p for p in err.problems)
    assert not (tmp_path / "out").exists()


def test_missing_spec_is_io_error(tmp_path):
    with pytest.raises(geoplex.IoError):
        geoplex.build(tmp_path / "nope.toml", tmp_path / "out", progress=False)


def test_bad_synth_size(tmp_path):
    with pytest.raises(geoplex.InvalidArgument) as info:
        geoplex.synth(tmp_path, size="megalopolis")
    assert "megalopolis" in str(info.value)
    assert info.value.problems


def test_bad_progress_type(tmp_path):
    with pytest.raises(TypeError):
        geoplex.build(tmp_path / "x.toml", tmp_path / "out", progress=42)


class TestBadArguments:
    """Checks at the binding edge; these need an Altimetry, so they use the synthetic village."""

    @pytest.fixture
    def alti(self, village):
        return geoplex.open(village["bundle"]).altitude

    def test_length_mismatch(self, alti):
        with pytest.raises(ValueError, match=r"same length.*3.*2"):
            alti.elevation([1.0, 2.0, 3.0], [1.0, 2.0])

    def test_two_dimensional(self, alti):
        with pytest.raises(geoplex.InvalidArgument, match=r"1-D.*\(2, 2\)"):
            alti.elevation(np.zeros((2, 2)), np.zeros((2, 2)))

    def test_not_numbers(self, alti):
        with pytest.raises(ValueError, match="lon must be"):
            alti.elevation(["a", "b"], [1.0, 2.0])
        with pytest.raises(ValueError, match="None"):
            alti.elevation(None, [1.0])

    def test_bad_interpolation(self, alti):
        with pytest.raises(ValueError, match="'bilinear' or 'nearest'.*cubic"):
            alti.elevation([3.0], [45.6], interpolation="cubic")

    def test_unknown_resource(self, alti):
        with pytest.raises(LookupError) as info:
            alti.elevation([3.0], [45.6], resource="nope")
        assert isinstance(info.value, geoplex.NotFound)
        assert info.value.code == "not_found"
        with pytest.raises(geoplex.NotFound):
            alti.resource("nope")

    def test_line_needs_two_points(self, alti):
        with pytest.raises(ValueError, match="at least 2 points"):
            alti.elevation_line([3.0], [45.6])
        with pytest.raises(ValueError, match="sampling must be at least 2"):
            alti.elevation_line([3.0, 3.01], [45.6, 45.61], sampling=1)


def test_progress_exception_propagates(village, tmp_path):
    class Stop(Exception):
        pass

    def progress(task, done, total):
        raise Stop(task)

    with pytest.raises(Stop):
        geoplex.build(village["summary"]["bundle"], tmp_path / "bundle", progress=progress)
    assert not (tmp_path / "bundle").exists()  # the build was abandoned, atomically


def test_bundle_without_altitude_raises_not_found(tmp_path):
    # A (hand-written) bundle with no component: opening works, asking for altitude does not.
    bundle = tmp_path / "empty"
    bundle.mkdir()
    (bundle / "manifest.toml").write_text(
        "components = []\ncreated = '2026-01-01T00:00:00Z'\nformat_version = 1\n"
        "geoplex_version = '0.1.0'\nname = 'empty'\n",
        encoding="utf-8",
    )
    engine = geoplex.open(bundle)
    assert not engine.has_altitude
    assert engine.manifest.components == []
    with pytest.raises(LookupError) as info:
        engine.altitude
    assert isinstance(info.value, geoplex.NotFound) and info.value.code == "not_found"
    assert "altitude" in str(info.value)


def test_corrupt_index_is_format_error(village, tmp_path):
    import shutil

    bundle = tmp_path / "bundle"
    shutil.copytree(village["bundle"], bundle)
    (index,) = [p for p in (bundle / "altitude").iterdir() if p.suffix == ".dem"]
    data = bytearray(index.read_bytes())
    data[len(data) // 2] ^= 0xFF  # flip one payload byte: only the checksum can see it
    index.write_bytes(bytes(data))
    geoplex.open(bundle)  # default: no checksum verification, opening stays O(1)
    with pytest.raises(geoplex.FormatError) as info:
        geoplex.open(bundle, verify_checksums=True)
    assert info.value.code in ("checksum_mismatch", "format_error")
