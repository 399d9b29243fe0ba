"""Batch geocoding of pandas DataFrames through the C++ CSV batch (the code behind
``POST /geocodage/search/csv``), so a DataFrame, a CSV file and the HTTP API give the same answers."""

from __future__ import annotations

import csv
import io
import math
from typing import Any, Dict, List, Optional, Sequence, Union

#: The columns appended by geocode_dataframe() / reverse_dataframe() (and the CSV batches), in order.
RESULT_COLUMNS = (
    "latitude",
    "longitude",
    "result_label",
    "result_score",
    "result_type",
    "result_id",
    "result_housenumber",
    "result_name",
    "result_postcode",
    "result_city",
    "result_citycode",
)
_FLOAT_COLUMNS = ("latitude", "longitude", "result_score")

Codes = Union[None, str, Sequence[str]]


def _pandas():
    try:
        import pandas
    except ImportError as e:  # pragma: no cover - depends on the machine
        raise ImportError(
            "geocode_dataframe() and reverse_dataframe() need pandas (Debian: apt install python3-pandas); "
            "Geocoder.geocode_csv() works on CSV files without it"
        ) from e
    return pandas


def _cell_text(value: Any) -> str:
    """A DataFrame cell as CSV text: missing values are empty, integral floats lose their '.0'
    (a postcode column holding NaN is float: 93140.0 must stay 93140)."""
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer():
            return str(int(value))
        return repr(value)
    try:
        import pandas

        if value is pandas.NA or value is pandas.NaT:
            return ""
    except ImportError:  # pragma: no cover
        pass
    return str(value)


def _check_columns(df, names: List[str], what: str) -> None:
    missing = [n for n in names if n not in df.columns]
    if missing:
        raise KeyError(f"{what}: the DataFrame has no column {', '.join(map(repr, missing))} "
                       f"(columns: {', '.join(map(str, df.columns))})")


def _run(geocoder, df, source_columns: List[str], reverse: bool, options: Dict[str, Any]):
    pd = _pandas()
    clashes = [c for c in RESULT_COLUMNS if c in df.columns]
    if clashes:
        raise ValueError(f"the DataFrame already has result column(s) {', '.join(clashes)}: rename or drop them first")
    # The batch only sees the columns it needs, under neutral names (c0, c1…): any column label
    # (numbers, names with separators) works and the original dtypes are untouched.
    names = [f"c{i}" for i in range(len(source_columns))]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(names)
    for row in df[source_columns].itertuples(index=False, name=None):
        writer.writerow([_cell_text(v) for v in row])
    rename = dict(zip(source_columns, names))
    for key in ("columns",):
        if options.get(key) is not None:
            options[key] = [rename[c] for c in options[key]]
    for key in ("postcode_column", "citycode_column", "lat_column", "lon_column"):
        if options.get(key) is not None:
            options[key] = rename[options[key]]
    text = geocoder._batch_csv_string(buffer.getvalue(), reverse=reverse, delimiter=",", **options)

    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1:]
    if header[-len(RESULT_COLUMNS):] != list(RESULT_COLUMNS) or len(body) != len(df):
        raise RuntimeError(f"geoplex batch: unexpected output ({len(body)} rows for {len(df)})")
    results = {name: [] for name in RESULT_COLUMNS}
    for row in body:
        values = row[-len(RESULT_COLUMNS):]
        matched = values[0] != ""
        for name, value in zip(RESULT_COLUMNS, values):
            if not matched:
                results[name].append(math.nan if name in _FLOAT_COLUMNS else None)
            elif name in _FLOAT_COLUMNS:
                results[name].append(float(value))
            else:
                results[name].append(value)
    out = pd.DataFrame(results, index=df.index, columns=list(RESULT_COLUMNS))
    for name in _FLOAT_COLUMNS:
        out[name] = out[name].astype("float64")
    return pd.concat([df, out], axis=1)


def geocode_dataframe(
    self,
    df,
    columns: Optional[Sequence[str]] = None,
    postcode_column: Optional[str] = None,
    citycode_column: Optional[str] = None,
    postcode: Codes = None,
    citycode: Codes = None,
    depcode: Codes = None,
    type: Codes = None,  # noqa: A002 - the Géoplateforme's parameter name
    city: Optional[str] = None,
):
    """Geocodes every row of a pandas DataFrame; returns a new DataFrame: ``df``'s columns
    followed by latitude, longitude, result_label, result_score, result_type, result_id,
    result_housenumber, result_name, result_postcode, result_city, result_citycode.

    Rows go through the same C++ batch as :meth:`geocode_csv` and ``POST /geocodage/search/csv``
    (best match per row, GIL released). Rows without a match get NaN in every result column;
    latitude, longitude and result_score are float64, the others str.

    Args:
        df: the DataFrame (its index is kept).
        columns: the columns whose values are joined with spaces into the search text
            (e.g. ``["adresse", "code_postal", "ville"]``); None = every column.
        postcode_column, citycode_column: a column whose 5-character code filters that row's result.
        postcode, citycode, depcode, type, city: filters applied to every row (see :meth:`search`).

    Raises:
        ImportError: pandas is not installed.
        KeyError: a named column is not in the DataFrame.
        ValueError: the DataFrame already has a result column.
    """
    columns = list(df.columns) if columns is None else list(columns)
    if not columns:
        raise ValueError("columns must name at least one column")
    _check_columns(df, columns, "columns")
    extra = [c for c in (postcode_column, citycode_column) if c is not None and c not in columns]
    _check_columns(df, extra, "postcode_column/citycode_column")
    options = dict(columns=columns, postcode_column=postcode_column, citycode_column=citycode_column,
                   postcode=postcode, citycode=citycode, depcode=depcode, type=type, city=city)
    return _run(self, df, columns + extra, False, options)


def reverse_dataframe(
    self,
    df,
    lat: str = "lat",
    lon: str = "lon",
    postcode: Codes = None,
    citycode: Codes = None,
    depcode: Codes = None,
    type: Codes = None,  # noqa: A002
    city: Optional[str] = None,
):
    """Reverse-geocodes every row of a pandas DataFrame from its ``lat`` and ``lon`` columns
    (WGS84 degrees); returns a new DataFrame with the same appended columns as
    :meth:`geocode_dataframe` (the nearest house number by default; ``type`` changes it).
    Rows with a missing or invalid position get NaN result columns."""
    _check_columns(df, [lat, lon], "lat/lon")
    options = dict(lat_column=lat, lon_column=lon, postcode=postcode, citycode=citycode, depcode=depcode,
                   type=type, city=city)
    return _run(self, df, [lat, lon], True, options)
