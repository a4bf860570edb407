"""A CheckReport in a notebook: the one-line repr, the inline HTML and the heatmap PNG drawn
without Qt, checked by decoding the PNG with a decoder written here."""

import base64
import re
import struct
import zlib

import numpy as np
import pytest

from gradviz.core.report.check_report import BlockResult, CheckReport
from gradviz.core.report.levels import MAX_PIXELS, pool, pool_any
from gradviz.core.report.picture import UNCHECKED, encode_png, heatmap_rgb, viridis
from gradviz.core.report.table import worst_lines


def decode_png(data: bytes) -> np.ndarray:
    """An 8-bit RGB, filter-0 PNG back to (H, W, 3), checking every chunk's CRC."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body)
        chunks[kind] = chunks.get(kind, b"") + body
        pos += 12 + length
    width, height, depth, colour, _, _, _ = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert (depth, colour) == (8, 2)
    raw = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), dtype=np.uint8).reshape(height, 1 + 3 * width)
    assert (raw[:, 0] == 0).all()
    return raw[:, 1:].reshape(height, width, 3)


def make_report() -> CheckReport:
    """W1 agrees except one wrong component, b1 is half unchecked and has a kink, W2 is 2× off."""
    rng = np.random.default_rng(0)
    a1 = rng.standard_normal((3, 4))
    n1 = a1.copy()
    n1[1, 2] *= 2
    b_a = rng.standard_normal((3, 1))
    b_n = b_a.copy()
    b_n[2, 0] = np.nan
    b_kink = np.array([[True], [False], [False]])
    a2 = rng.standard_normal((2, 3))
    return CheckReport({
        "W1": BlockResult("W1", a1, n1, np.zeros((3, 4), dtype=bool)),
        "b1": BlockResult("b1", b_a, b_n, b_kink),
        "W2": BlockResult("W2", a2, a2 / 2, np.zeros((2, 3), dtype=bool)),
    })


def test_png_encoding_round_trips():
    rgb = np.random.default_rng(1).integers(0, 256, size=(7, 5, 3), dtype=np.uint8)
    assert np.array_equal(decode_png(encode_png(rgb)), rgb)
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        encode_png(np.zeros((2, 2, 4), dtype=np.uint8))


def test_viridis_runs_from_dark_purple_to_yellow():
    ends = viridis(np.array([0.0, 1.0, -5.0, 7.0]))
    assert ends.tolist() == [[0x44, 0x01, 0x54], [0xFD, 0xE7, 0x25], [0x44, 0x01, 0x54], [0xFD, 0xE7, 0x25]]


def test_pooling_keeps_the_worst_component_of_each_group():
    values = np.full((MAX_PIXELS * 3, 10), -9.0)
    values[400, 7] = -1.0
    values[:3, :] = np.nan
    pooled = pool(values, "rel")
    expected = np.array([[np.nanmax(values[r : r + 3, c]) if not np.isnan(values[r : r + 3, c]).all()
                          else np.nan for c in range(10)] for r in range(0, MAX_PIXELS * 3, 3)])
    assert pooled.shape == (MAX_PIXELS, 10)
    np.testing.assert_array_equal(pooled, expected)
    assert pooled[400 // 3, 7] == -1.0
    mask = np.zeros((MAX_PIXELS * 2 + 2, 3), dtype=bool)  # groups of 3 rows, the last one of 2
    mask[-1, 1] = True
    any_pooled = pool_any(mask)
    assert any_pooled.shape == (-(-mask.shape[0] // 3), 3)
    assert np.argwhere(any_pooled).tolist() == [[any_pooled.shape[0] - 1, 1]]


def test_the_heatmap_colours_each_component_by_its_relative_error():
    report = make_report()
    image = decode_png(report._repr_png_())
    assert np.array_equal(image, heatmap_rgb(report))
    # W1 is 3×4 and the largest block: cells of 24 px from the 8 px margin
    cell, margin = 24, 8

    def pixel(row, col, left=margin, top=margin):
        return image[top + row * cell + cell // 2, left + col * cell + 1].tolist()

    assert pixel(0, 0) == viridis(np.array(0.0)).tolist()  # agrees exactly: the low end
    assert pixel(1, 2) == viridis(np.array((np.log10(0.5) + 10) / 10)).tolist()  # rel error 0.5
    b1_left = margin + 4 * cell + 8
    assert pixel(2, 0, left=b1_left) == list(UNCHECKED)
    b1_kink = image[margin : margin + cell, b1_left : b1_left + cell]
    assert (b1_kink == 255).all(axis=2).any()  # white stripes
    w2_top = margin + 3 * cell + 8
    assert pixel(0, 0, top=w2_top) == viridis(np.array((np.log10(0.5) + 10) / 10)).tolist()


def test_the_repr_is_one_short_line():
    report = make_report()
    a = np.concatenate([b.analytic[b.checked] for b in report.blocks.values()])
    n = np.concatenate([b.numeric[b.checked] for b in report.blocks.values()])
    difference = np.linalg.norm(n - a) / (np.linalg.norm(n) + np.linalg.norm(a))
    assert repr(report) == (f"<CheckReport bug: difference {difference:.2e} (wrong), "
                            "20 components in 3 blocks, failing W1, W2>")


def test_the_html_has_the_conclusion_the_table_the_diagnosis_and_the_picture():
    report = make_report()
    page = report._repr_html_()
    assert ">bug</span>" in page
    assert report.verdict() in page
    rows = re.findall(r"<tr>(.*?)</tr>", page)
    assert len(rows) == 1 + 3
    assert re.findall(r"<td[^>]*>([^<]*)</td>", rows[1])[:3] == ["W1", "3×4", "12"]
    assert "FAIL" in rows[1]
    assert "FAIL" in rows[3]
    assert "FAIL" not in rows[2]
    assert all(line in page for line in worst_lines(report))
    png = re.search(r'src="data:image/png;base64,([^"]+)"', page).group(1)
    assert base64.b64decode(png) == report._repr_png_()


def test_a_correct_report_shows_no_worst_components():
    a = np.ones((2, 2))
    report = CheckReport({"W1": BlockResult("W1", a, a.copy(), np.zeros((2, 2), dtype=bool))})
    page = report._repr_html_()
    assert ">correct</span>" in page
    assert "worst components" not in page


def test_the_readme_notebook_walkthrough_on_the_coursera_assignment():
    import gradviz
    from tests.coursera import backward_propagation_n, forward_propagation_n, gradient_check_n_test_case

    X, Y, parameters = gradient_check_n_test_case()
    model = gradviz.propagation_model(forward_propagation_n, backward_propagation_n, parameters, X, Y)
    report = gradviz.gradient_check(model)
    assert repr(report).startswith("<CheckReport bug: difference 2.85e-01 (wrong), 47 components")
    page = report._repr_html_()
    assert "dW2 is 2.00× the numeric gradient everywhere: a scaling bug" in page
    assert "db1 is 4.00× the numeric gradient everywhere: a scaling bug" in page
    failing = [re.findall(r"<td[^>]*>([^<]*)</td>", row)[0] for row in re.findall(r"<tr>(.*?)</tr>", page)
               if "FAIL" in row]
    assert failing == ["b1", "W2"]
