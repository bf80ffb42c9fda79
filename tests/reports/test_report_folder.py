"""write_report / render_dir: the folder's files, the HTML's structure, re-rendering."""

from __future__ import annotations

import base64
import csv
import io
import json
import shutil
import struct
from html.parser import HTMLParser
from pathlib import Path

import pytest
from matplotlib import image

from reports import Report, ReportError, load_report, render_dir, write_report


class ReportPage(HTMLParser):
    """Collects what the tests check: tags, images, and each table's header and cells."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.charset: str | None = None
        self.images: list[dict[str, str | None]] = []
        self.headers: dict[str, list[str]] = {}
        self.cells: dict[str, list[list[str]]] = {}
        self.text: list[str] = []
        self._table: str | None = None
        self._cell: list[str] | None = None
        self._in_unit = False
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append(tag)
        if tag == "meta" and "charset" in attributes:
            self.charset = attributes["charset"]
        elif tag == "img":
            self.images.append(attributes)
        elif tag == "table":
            self._table = str(attributes.get("id", "")).removeprefix("table-")
            self.headers[self._table], self.cells[self._table] = [], []
        elif tag == "tr" and self._table is not None:
            self.cells[self._table].append([])
        elif tag in ("th", "td"):
            self._cell = []
        elif tag == "span" and attributes.get("class") == "unit":
            self._in_unit = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._table = None
        elif tag in ("th", "td") and self._table is not None and self._cell is not None:
            text = "".join(self._cell)
            if tag == "th":
                self.headers[self._table].append(text)
            else:
                self.cells[self._table][-1].append(text)
            self._cell = None
        elif tag == "span":
            self._in_unit = False

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None and not self._in_unit:
            self._cell.append(data)


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk, after checking signature and chunk type."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, chunk = struct.unpack(">I4s", data[8:16])
    assert (length, chunk) == (13, b"IHDR")
    return struct.unpack(">II", data[16:24])


@pytest.fixture
def written(sample_report: Report, written_once: Path, tmp_path: Path) -> tuple[Report, Path]:
    """The report and a private copy of its folder, free to modify."""
    out = tmp_path / "out"
    shutil.copytree(written_once, out)
    return sample_report, out


def test_folder_layout(written: tuple[Report, Path]) -> None:
    """Manifest, HTML, a CSV and JSON per table and a PNG per chart."""
    report, out = written
    assert (out / "report.json").is_file() and (out / "report.html").is_file()
    for table in report.iter_tables():
        assert (out / "tables" / f"{table.name}.csv").is_file()
        assert (out / "tables" / f"{table.name}.json").is_file()
    for chart in report.iter_charts():
        png_size((out / "charts" / f"{chart.name}.png").read_bytes())


def test_every_image_is_an_embedded_png(written: tuple[Report, Path]) -> None:
    """Each chart appears once as a data URI decoding to a valid PNG of the saved size."""
    report, out = written
    page = ReportPage((out / "report.html").read_text(encoding="utf-8"))
    assert len(page.images) == len(list(report.iter_charts()))
    for attributes in page.images:
        src = attributes["src"] or ""
        prefix = "data:image/png;base64,"
        assert src.startswith(prefix)
        data = base64.b64decode(src.removeprefix(prefix), validate=True)
        width, height = png_size(data)
        assert width > 100 and height > 100
        assert image.imread(io.BytesIO(data)).shape[:2] == (height, width)
        assert attributes["alt"]


def test_ecdf_chart_has_requested_size(written: tuple[Report, Path]) -> None:
    """size (inches) × the fixed DPI gives the pixel size."""
    _, out = written
    from reports.charts import DPI

    assert png_size((out / "charts" / "close_ecdf.png").read_bytes()) == (6 * DPI, int(3.5 * DPI))


def test_tables_have_promised_columns_and_rows(written: tuple[Report, Path]) -> None:
    """Each table's header row lists its columns in order, and it has one row per data row."""
    report, out = written
    page = ReportPage((out / "report.html").read_text(encoding="utf-8"))
    for table in report.iter_tables():
        assert page.headers[table.name] == table.columns
        body = [row for row in page.cells[table.name] if row]
        assert len(body) == len(table.rows)


def test_numbers_are_formatted(written: tuple[Report, Path]) -> None:
    """Per-column specs, sensible defaults, and readable missing / infinite / boolean cells."""
    _, out = written
    page = ReportPage((out / "report.html").read_text(encoding="utf-8"))
    rows = [row for row in page.cells["kpi"] if row]
    assert rows[0][1:] == ["91.2%", "3.25", "1200", "yes"]
    assert rows[1][1:] == ["50.0%", "–", "7", "no"]
    assert rows[2][1:] == ["–", "∞", "0", "–"]


def test_csv_and_json_equal_the_table(written: tuple[Report, Path]) -> None:
    """The files hold every row at full precision: JSON exactly, CSV as text of the values."""
    report, out = written
    for table in report.iter_tables():
        stored = json.loads((out / "tables" / f"{table.name}.json").read_text(encoding="utf-8"))
        assert stored["columns"] == table.columns
        assert stored["units"] == table.units
        assert [[record[c] for c in table.columns] for record in stored["rows"]] == table.rows

        text = (out / "tables" / f"{table.name}.csv").read_text(encoding="utf-8-sig")
        header, *rows = list(csv.reader(io.StringIO(text)))
        assert header == table.columns
        expected = [
            ["" if value is None else repr(value) if isinstance(value, float) else str(value)]
            for row in table.rows
            for value in row
        ]
        assert [[value] for row in rows for value in row] == expected


def test_csv_has_bom_for_excel(written: tuple[Report, Path]) -> None:
    """Excel on Chinese Windows needs the UTF-8 BOM to read Chinese correctly."""
    _, out = written
    assert (out / "tables" / "kpi.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_manifest_reloads_to_the_same_report(written: tuple[Report, Path]) -> None:
    """report.json + tables/*.json give back the report (charts now point at their PNGs)."""
    report, out = written
    manifest = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert "rows" not in manifest["sections"][0]["tables"][0]
    loaded = load_report(out)
    assert list(loaded.iter_tables()) == list(report.iter_tables())
    assert loaded.meta == report.meta
    assert [str(chart.png_path) for chart in loaded.iter_charts()] == [
        f"charts/{chart.name}.png" for chart in report.iter_charts()
    ]


def test_rerender_is_identical(written: tuple[Report, Path]) -> None:
    """render_dir reproduces the HTML byte for byte, and again."""
    _, out = written
    first = (out / "report.html").read_bytes()
    (out / "report.html").unlink()
    render_dir(out)
    assert (out / "report.html").read_bytes() == first
    render_dir(out)
    assert (out / "report.html").read_bytes() == first


def test_same_input_gives_identical_files(
    sample_report: Report, written_once: Path, tmp_path: Path
) -> None:
    """A second write of the same report: identical PNGs, tables, manifest and HTML."""
    write_report(sample_report, tmp_path)
    files = sorted(path.relative_to(written_once) for path in written_once.rglob("*.*"))
    assert len(files) == 2 + 2 * 3 + 6
    for name in files:
        assert (written_once / name).read_bytes() == (tmp_path / name).read_bytes(), name


def test_text_is_escaped(written: tuple[Report, Path], hostile: str) -> None:
    """Markup in any text field shows as text; no script element or stray tag appears."""
    _, out = written
    html = (out / "report.html").read_text(encoding="utf-8")
    page = ReportPage(html)
    assert "script" not in page.tags and "em" not in page.tags
    assert "<script>" not in html
    assert html.count("&lt;script&gt;") >= 6  # title ×2, meta, text, caption, chart, cell
    assert any(hostile in text for text in page.text)


def test_chinese_and_charset(written: tuple[Report, Path]) -> None:
    """UTF-8 declared and used; the Chinese survives into the page and the manifest."""
    _, out = written
    html = (out / "report.html").read_text(encoding="utf-8")
    page = ReportPage(html)
    assert page.charset == "utf-8"
    assert "网格员配置" in html and "第十九条" in html
    assert "江苏省" in (out / "report.json").read_text(encoding="utf-8")


def test_meta_and_sections_are_shown(written: tuple[Report, Path]) -> None:
    """Metadata (seed as text, rule citations as a list) and a contents list of sections."""
    _, out = written
    page = ReportPage((out / "report.html").read_text(encoding="utf-8"))
    text = "".join(page.text)
    assert "20240601" in text and "江苏省城乡网格化服务管理办法 第十九条" in text
    assert "li" in page.tags and "nav" in page.tags


def test_missing_folder_is_a_clean_error(tmp_path: Path) -> None:
    """ReportError with the reason, for a missing folder and for a folder without a manifest."""
    with pytest.raises(ReportError, match="no such report folder"):
        render_dir(tmp_path / "nope")
    with pytest.raises(ReportError, match=r"not a report folder \(no report.json\)"):
        render_dir(tmp_path)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda out: (out / "report.json").write_text("{", encoding="utf-8"), "not valid JSON"),
        (lambda out: (out / "report.json").write_text("[]", encoding="utf-8"), "manifest"),
        (lambda out: (out / "tables" / "kpi.json").unlink(), "kpi.json: file is missing"),
        (lambda out: (out / "charts" / "kpis.png").write_bytes(b"GIF89a"), "not a PNG"),
        (lambda out: (out / "charts" / "kpis.png").unlink(), "cannot read chart image"),
    ],
)
def test_damaged_folder_is_a_clean_error(written: tuple[Report, Path], damage, message: str):
    """Each kind of damage gives a ReportError naming the file, in one line."""
    _, out = written
    damage(out)
    with pytest.raises(ReportError, match=message) as caught:
        render_dir(out)
    assert "\n" not in str(caught.value)


def test_invalid_manifest_reports_first_problem(written: tuple[Report, Path]) -> None:
    """A manifest that fails validation gives the field and reason, one line."""
    _, out = written
    manifest = json.loads((out / "report.json").read_text(encoding="utf-8"))
    manifest["sections"][0]["tables"][0]["name"] = "../../etc"
    manifest["title"] = None
    (out / "report.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ReportError, match=r"report.json: title: .*\(and \d+ more problems\)"):
        render_dir(out)
