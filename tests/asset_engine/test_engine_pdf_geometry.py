"""The branding lands where a reader sees the zone, whatever the page's geometry."""

from __future__ import annotations

import pathlib
import subprocess

import pytest

from asset_engine import BrandKit, PageSize, Zone, cobrand_pdf, inspect_pdf, render_preview
from tests.requirements import tool_mark

from .engine_helpers import make_pdf, matching_bbox, render

# A 200x100 logo (2:1) in a box that is wider than 2:1 on every page geometry below, so the
# logo fills the box's height and is aligned horizontally.
TOP_RIGHT = Zone("logo", (0.55, 0.04, 0.4, 0.06), align="right")


def expected_logo(zone: Zone, width: float, height: float) -> tuple[float, float, float, float]:
    x, y, w, h = zone.box
    box_w, box_h = w * width, h * height
    scale = min(box_w / 200, box_h / 100)
    logo_w, logo_h = 200 * scale, 100 * scale
    if zone.align == "right":
        left = x * width + box_w - logo_w
    elif zone.align == "center":
        left = x * width + (box_w - logo_w) / 2
    else:
        left = x * width
    top = y * height + (box_h - logo_h) / 2
    return left / width, top / height, (left + logo_w) / width, (top + logo_h) / height


def assert_red_at(pdf: bytes, page: int, zone: Zone, size: PageSize) -> None:
    image = render(pdf, page)
    found = matching_bbox(image, "red")
    assert found is not None, "no logo pixels on the page"
    want = expected_logo(zone, size.width, size.height)
    tolerance = 3 / min(image.size)  # a pixel or two of anti-aliasing at each edge
    assert found == pytest.approx(want, abs=tolerance), (found, want)


GEOMETRIES = {
    "plain": {},
    "rotate-90": {"rotate": 90},
    "rotate-180": {"rotate": 180},
    "rotate-270": {"rotate": 270},
    "crop-offset": {"crop": (40, 60, 520, 700)},
    "rotate-90-crop": {"rotate": 90, "crop": (40, 60, 520, 700)},
    "rotate-180-crop": {"rotate": 180, "crop": (40, 60, 520, 700)},
    "rotate-270-crop": {"rotate": 270, "crop": (40, 60, 520, 700)},
    "media-origin": {"media": (-300, 200, 300, 1000)},
    "media-origin-rotate-90": {"media": (100, -400, 700, 400), "rotate": 90},
    "media-origin-crop-270": {
        "media": (100, -400, 700, 400),
        "crop": (150, -300, 650, 350),
        "rotate": 270,
    },
    "negative-rotate": {"rotate": -90},
}


@pytest.mark.parametrize("incremental", [False, True], ids=["rewrite", "incremental"])
@pytest.mark.parametrize("geometry", GEOMETRIES.values(), ids=GEOMETRIES.keys())
def test_logo_lands_in_the_zone_as_seen(
    brand: BrandKit, geometry: dict[str, object], incremental: bool
) -> None:
    pdf = make_pdf([geometry])
    out = cobrand_pdf(pdf, brand, [TOP_RIGHT], incremental=incremental)
    (size,) = inspect_pdf(out)
    assert_red_at(out, 1, TOP_RIGHT, size)


def test_inspect_pdf_reports_the_page_as_seen() -> None:
    pdf = make_pdf(
        [
            {"size": (600, 800)},
            {"size": (600, 800), "rotate": 90},
            {"size": (600, 800), "crop": (40, 60, 520, 700), "rotate": 270},
            {"size": (300, 300), "crop": (-50, -50, 900, 900)},
        ]
    )
    assert inspect_pdf(pdf) == [
        PageSize(600, 800, 0),
        PageSize(800, 600, 90),
        PageSize(640, 480, 270),
        PageSize(300, 300, 0),  # a CropBox larger than the MediaBox shows the MediaBox
    ]


@pytest.mark.parametrize("incremental", [False, True], ids=["rewrite", "incremental"])
def test_mixed_page_sizes_each_get_the_zone(brand: BrandKit, incremental: bool) -> None:
    specs: list[dict[str, object]] = [
        {"size": (595, 842)},
        {"size": (842, 595)},
        {"size": (612, 792), "rotate": 90},
        {"size": (300, 500), "crop": (20, 30, 280, 480)},
        {"size": (595, 842)},
    ]
    pdf = make_pdf(specs)
    zone = Zone("logo", (0.3, 0.8, 0.4, 0.15), align="center")
    out = cobrand_pdf(pdf, brand, [zone], incremental=incremental)
    for number, size in enumerate(inspect_pdf(out), start=1):
        assert_red_at(out, number, zone, size)


def test_zone_page_selection(brand: BrandKit) -> None:
    pdf = make_pdf([{}, {}, {}, {}])
    zones = [
        Zone("logo", (0.0, 0.0, 0.2, 0.1), pages="first"),
        Zone("logo", (0.8, 0.9, 0.2, 0.1), pages="last"),
        Zone("logo", (0.4, 0.45, 0.2, 0.1), pages=[2]),
    ]
    out = cobrand_pdf(pdf, brand, zones)
    boxes = [matching_bbox(render(out, n), "red") for n in range(1, 5)]
    assert boxes[0] is not None and boxes[0][1] < 0.1
    assert boxes[1] is not None and 0.4 < boxes[1][1] < 0.5
    assert boxes[2] is None
    assert boxes[3] is not None and boxes[3][1] > 0.85


def test_page_graphics_state_cannot_move_the_branding(brand: BrandKit) -> None:
    # A page whose content leaves a scale, a translation and a clip in force.
    import io

    from reportlab.pdfgen.canvas import Canvas

    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(600, 800))
    canvas.translate(300, 400)
    canvas.scale(0.2, 0.2)
    clip = canvas.beginPath()
    clip.rect(0, 0, 10, 10)
    canvas.clipPath(clip, stroke=0, fill=0)
    canvas.showPage()
    canvas.save()
    size = PageSize(600, 800)
    result = cobrand_pdf(out.getvalue(), brand, [TOP_RIGHT])
    assert_red_at(result, 1, TOP_RIGHT, size)


@pytest.mark.parametrize("align", ["left", "center", "right"])
@pytest.mark.parametrize("valign", ["top", "middle", "bottom"])
def test_logo_alignment_in_a_tall_box(brand: BrandKit, align: str, valign: str) -> None:
    # A tall box: the 2:1 logo fills the width and sits at top, middle or bottom.
    zone = Zone("logo", (0.1, 0.1, 0.3, 0.6), align=align, valign=valign)  # type: ignore[arg-type]
    found = matching_bbox(render(cobrand_pdf(make_pdf(), brand, [zone])), "red")
    assert found is not None
    logo_h = 0.3 * 600 / 2 / 800
    top = {"top": 0.1, "middle": 0.1 + (0.6 - logo_h) / 2, "bottom": 0.7 - logo_h}[valign]
    assert found == pytest.approx((0.1, top, 0.4, top + logo_h), abs=0.005)


def test_small_logo_is_scaled_up_to_fill_its_box() -> None:
    from .engine_helpers import make_brand, png

    tiny = make_brand(logo=png(size=(20, 10)))
    zone = Zone("logo", (0.1, 0.1, 0.8, 0.4))
    found = matching_bbox(render(cobrand_pdf(make_pdf(), tiny, [zone])), "red")
    assert found is not None
    assert found[2] - found[0] == pytest.approx(0.8, abs=0.005)


def test_on_dark_zone_uses_the_dark_logo() -> None:
    from .engine_helpers import make_brand, png

    kit = make_brand(logo=png((0, 0, 255)), logo_on_dark=png((255, 0, 0)))
    light = Zone("logo", (0.0, 0.0, 0.4, 0.1))
    dark = Zone("logo", (0.5, 0.5, 0.4, 0.1), on_dark=True)
    found = matching_bbox(render(cobrand_pdf(make_pdf(), kit, [light, dark])), "red")
    assert found is not None and found[0] >= 0.49 and found[1] >= 0.49


def test_render_preview_is_a_png_of_the_page_as_seen() -> None:
    png_bytes = render_preview(make_pdf([{"rotate": 90}]), page=1, width=400)
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(png_bytes))
    assert image.format == "PNG"
    assert image.size == (400, 300)


@tool_mark("pdftoppm", "poppler-utils")
@pytest.mark.parametrize("incremental", [False, True], ids=["rewrite", "incremental"])
@pytest.mark.parametrize("geometry", GEOMETRIES.values(), ids=GEOMETRIES.keys())
def test_a_second_renderer_agrees(
    brand: BrandKit, geometry: dict[str, object], incremental: bool, tmp_path: pathlib.Path
) -> None:
    """Poppler, not only PDFium, shows the logo where the zone is (-cropbox: as viewers do)."""
    out = cobrand_pdf(make_pdf([geometry]), brand, [TOP_RIGHT], incremental=incremental)
    source = tmp_path / "out.pdf"
    source.write_bytes(out)
    result = subprocess.run(
        [
            "pdftoppm",
            "-cropbox",
            "-r",
            "36",
            "-png",
            "-singlefile",
            str(source),
            str(tmp_path / "page"),
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert not result.stderr
    from PIL import Image

    found = matching_bbox(Image.open(tmp_path / "page.png"), "red")
    (size,) = inspect_pdf(out)
    assert found == pytest.approx(expected_logo(TOP_RIGHT, size.width, size.height), abs=0.02)
