"""No user file can crash, hang or bloat a process: markup depth, page geometry, cache bytes.

The crash cases run in a subprocess: on a regression the native code kills that process
(SIGSEGV) and the test fails with its exit status, instead of taking pytest down with it.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from asset_engine import AssetError, TemplateError, compile_email
from asset_engine._email import MAX_DEPTH, MAX_ELEMENTS

ROOT = Path(__file__).resolve().parents[2]


def _mjml(body: str) -> str:
    return (
        "<mjml><mj-body><mj-section><mj-column><mj-text>"
        f"{body}</mj-text></mj-column></mj-section></mj-body></mjml>"
    )


def run_isolated(code: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter with the project importable; never raises."""
    return subprocess.run(
        [sys.executable, "-"],
        input=textwrap.dedent(code),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


DEEP_MJML = {
    "html nested 10,000 deep": _mjml("<div>" * 10_000 + "x" + "</div>" * 10_000),
    "mj-wrapper nested 3,000 deep": "<mjml><mj-body>"
    + "<mj-wrapper>" * 3000
    + "</mj-wrapper>" * 3000
    + "</mj-body></mjml>",
    # MRML closes the innermost element whatever the closing tag's name: this nests 40,000.
    "mismatched closings": _mjml("<div><span></div>" * 20_000),
    # Closing tags hidden in attribute values close nothing.
    "closings inside attributes": _mjml('<div title="</div>">' * 5000 + "x"),
    "mj-raw": "<mjml><mj-body><mj-raw>" + "<b>" * 20_000 + "</mj-raw></mj-body></mjml>",
}


@pytest.mark.parametrize("name", DEEP_MJML)
def test_deeply_nested_mjml_is_refused_before_compiling(name: str) -> None:
    start = time.perf_counter()
    with pytest.raises(TemplateError, match="levels deep"):
        compile_email(DEEP_MJML[name])
    assert time.perf_counter() - start < 1.0


def test_deep_mjml_does_not_kill_the_process() -> None:
    # The original crash: the compiler overflowed its stack and the process died (exit 139).
    result = run_isolated(
        f"""
        from asset_engine import AssetError, TemplateError, compile_email
        for source in {list(DEEP_MJML.values())!r}:
            try:
                compile_email(source)
            except TemplateError as exc:
                print("refused:", str(exc)[:60])
        print("alive")
        """
    )
    assert result.returncode == 0, (result.returncode, result.stderr[-2000:])
    assert result.stdout.count("refused:") == len(DEEP_MJML)
    assert result.stdout.strip().endswith("alive")


def test_nesting_at_the_limit_still_compiles() -> None:
    # MAX_DEPTH minus the five MJML levels around the text.
    depth = MAX_DEPTH - 5
    compiled = compile_email(_mjml("<div>" * depth + "deep enough" + "</div>" * depth))
    assert "deep enough" in compiled.text
    # Void elements and self-closing tags do not nest.
    compile_email(_mjml("<br>" * 500 + "<img src='x.png'>" * 10 + "<p>x<br/></p>" * 100))


def test_too_many_elements_or_an_endless_tag_is_refused_quickly() -> None:
    with pytest.raises(TemplateError, match="elements"):
        compile_email(_mjml("<b>x</b>" * (MAX_ELEMENTS + 1)))
    start = time.perf_counter()
    with pytest.raises(TemplateError, match="never closed"):
        compile_email(_mjml("<a" * 400_000))
    with pytest.raises(TemplateError, match="never closed"):
        compile_email(_mjml('<a title="' + "x" * 1_000_000))
    assert time.perf_counter() - start < 2.0


def test_compiling_on_a_small_thread_stack_is_safe() -> None:
    # gunicorn's gthread workers and others run requests on threads with smaller stacks than
    # the main thread; compiling the deepest allowed template there must not crash either.
    depth = MAX_DEPTH - 5
    source = "<mjml><mj-body>" + "<mj-wrapper>" * depth + "</mj-wrapper>" * depth
    source += "</mj-body></mjml>"
    result = run_isolated(
        f"""
        import threading
        from asset_engine import AssetError, TemplateError, compile_email
        threading.stack_size(256 * 1024)
        def run():
            try:
                compile_email({source!r})
                print("compiled")
            except TemplateError as exc:
                print("refused:", exc)
        t = threading.Thread(target=run)
        t.start()
        t.join()
        """
    )
    assert result.returncode == 0, (result.returncode, result.stderr[-2000:])
    # Within the limit, so it must compile: a refusal or an exception on the thread is a failure.
    assert "compiled" in result.stdout, result.stdout + result.stderr[-2000:]


# -- page geometry ------------------------------------------------------------------------------


def _one_page(page_entries: bytes) -> bytes:
    from .test_engine_bad_input import CATALOG, _hand_pdf

    return _hand_pdf(
        [
            CATALOG,
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R " + page_entries + b" >>",
        ]
    )


UNDRAWABLE_PAGES = {
    "1 x 1 pt": b"/MediaBox [0 0 1 1]",
    "0.001 pt": b"/MediaBox [0 0 0.001 0.001]",
    "14,400 x 1 pt": b"/MediaBox [0 0 14400 1]",
    "huge": b"/MediaBox [0 0 99999999999 99999999999]",
    "200,000 pt": b"/MediaBox [0 0 200000 200000]",
    "zero width": b"/MediaBox [0 0 0 792]",
}


@pytest.mark.parametrize("name", UNDRAWABLE_PAGES)
def test_pages_outside_the_pdf_size_range_are_refused_at_upload(name: str) -> None:
    from asset_engine import InvalidPdfError, inspect_pdf

    with pytest.raises(InvalidPdfError, match=r"MediaBox|between 3 and 14,400 pt"):
        inspect_pdf(_one_page(UNDRAWABLE_PAGES[name]))


ODD_BUT_VALID_PAGES = {
    "10 x 14,400 pt": b"/MediaBox [0 0 10 14400]",
    "14,400 x 3 pt": b"/MediaBox [0 0 14400 3]",
    "negative corners": b"/MediaBox [0 0 -612 -792]",
    "huge UserUnit": b"/MediaBox [0 0 612 792] /UserUnit 1e30",
    "negative UserUnit": b"/MediaBox [0 0 612 792] /UserUnit -5",
    "14,400 pt with UserUnit 75,000": b"/MediaBox [0 0 14400 14400] /UserUnit 75000",
    "odd rotation": b"/MediaBox [0 0 612 792] /Rotate 99999999999999999999",
}


def _png_size(data: bytes) -> tuple[int, int]:
    import io

    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        return image.size


@pytest.mark.parametrize("name", ODD_BUT_VALID_PAGES)
@pytest.mark.parametrize("width", [16, 800])
def test_every_preview_stays_within_the_pixel_budget(name: str, width: int) -> None:
    from asset_engine import inspect_pdf, render_preview
    from asset_engine._pdf import MAX_RENDER_PIXELS, MAX_RENDER_SIDE

    pdf = _one_page(ODD_BUT_VALID_PAGES[name])
    inspect_pdf(pdf)
    start = time.perf_counter()
    w, h = _png_size(render_preview(pdf, 1, width))
    assert time.perf_counter() - start < 2.0
    assert w >= 1 and h >= 1
    assert w <= width or h == 1  # wider only where the short side is a single pixel
    assert w * h <= MAX_RENDER_PIXELS and max(w, h) <= MAX_RENDER_SIDE


def test_the_tall_page_preview_from_the_report() -> None:
    # 10 x 14,400 pt at 800 px wide was 800 x 1,152,000 px (3.7 GB, 26 s).
    from asset_engine import render_preview

    for width in (800, 4000):
        w, h = _png_size(render_preview(_one_page(b"/MediaBox [0 0 10 14400]"), 1, width))
        assert 9_990 <= h <= 10_000 and w in (6, 7)


@pytest.mark.parametrize("name", UNDRAWABLE_PAGES)
@pytest.mark.parametrize("width", [16, 800])
def test_stored_undrawable_pages_preview_bounded_or_refused(name: str, width: int) -> None:
    # Templates uploaded before the size check still render, or are refused as AssetError:
    # never a PDFium error (a 500 on the zone editor's page endpoint) nor a huge bitmap.
    from asset_engine import render_preview
    from asset_engine._pdf import MAX_RENDER_PIXELS, MAX_RENDER_SIDE

    try:
        w, h = _png_size(render_preview(_one_page(UNDRAWABLE_PAGES[name]), 1, width))
    except AssetError as exc:
        assert "drawn" in str(exc)
    else:
        assert w * h <= MAX_RENDER_PIXELS and max(w, h) <= MAX_RENDER_SIDE


def test_a_page_pdfium_cannot_load_is_an_asset_error() -> None:
    from asset_engine import render_preview

    from .test_engine_bad_input import CATALOG, _hand_pdf

    objects = [CATALOG]
    for level in range(2000):  # past PDFium's page tree depth limit
        objects.append(b"<< /Type /Pages /Kids [%d 0 R] /Count 1 >>" % (level + 3))
    objects.append(b"<< /Type /Page /MediaBox [0 0 600 800] >>")
    with pytest.raises(AssetError, match="cannot be drawn"):
        render_preview(_hand_pdf(objects), 1, 600)


# -- images -------------------------------------------------------------------------------------


def _png(size: tuple[int, int], color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG", compress_level=1)
    return out.getvalue()


def test_an_image_longer_than_the_side_limit_is_refused() -> None:
    from asset_engine import InvalidImageError, inspect_image, validate_logo

    for size in [(20_000, 2), (2, 20_000)]:
        with pytest.raises(InvalidImageError, match="longer than"):
            validate_logo(_png(size))
        with pytest.raises(InvalidImageError, match="longer than"):
            inspect_image(_png(size))


def test_a_thumbnail_of_a_long_image_is_bounded() -> None:
    from asset_engine import thumbnail
    from asset_engine._pdf import MAX_RENDER_SIDE

    w, h = _png_size(thumbnail(_png((1, 16_000)), 320))
    assert (w, h) == (1, MAX_RENDER_SIDE)
    with pytest.raises(AssetError, match="width"):
        thumbnail(_png((10, 10)), 0)


def test_an_animated_logo_uses_its_first_frame_only() -> None:
    import io

    from PIL import Image

    from asset_engine import validate_logo

    frames = [Image.new("P", (400, 200), i % 256) for i in range(300)]
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:], duration=10)
    start = time.perf_counter()
    logo = Image.open(io.BytesIO(validate_logo(out.getvalue())))
    assert time.perf_counter() - start < 1.0
    assert logo.format == "PNG" and getattr(logo, "n_frames", 1) == 1


# -- memory -------------------------------------------------------------------------------------


def _jpeg(size: tuple[int, int], color: tuple[int, int, int]) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="JPEG", quality=50)
    return out.getvalue()


def test_logos_are_cached_at_the_size_they_are_drawn() -> None:
    from asset_engine._images import MAX_LOGO_SIDE, load_logo

    assert load_logo(_png((3000, 300))).size == (MAX_LOGO_SIDE, 205)
    assert load_logo(_png((300, 100))).size == (300, 100)  # never enlarged


def test_logo_caches_hold_bytes_not_entries() -> None:
    from asset_engine._cache import caches
    from asset_engine._images import _LOGOS, load_logo

    for i in range(12):  # 12 distinct 2000 x 2000 logos: 12 MB each decoded, 144 MB in all
        load_logo(_jpeg((2000, 2000), (i * 20, 100, 200)))
    assert 0 < _LOGOS.total_bytes <= _LOGOS.max_bytes
    assert len(_LOGOS) < 12
    for cache in caches():
        assert cache.total_bytes <= cache.max_bytes, cache.name
    assert sum(c.max_bytes for c in caches()) <= 384 * 2**20  # every budget together


def test_large_logos_do_not_grow_the_process() -> None:
    # The report: large logos took a web process from 142 MB to 1.8 GB. Ten 4-megapixel logos,
    # each drawn into a social image and a PDF, in a fresh process: about 170 MB once the
    # caches are full (their budgets total 256 MB), 384 MB with the old entry-count caches.
    result = run_isolated(
        """
        import gc, io, os
        from PIL import Image
        from asset_engine import BrandKit, Zone, cobrand_pdf, render_social
        from tests.asset_engine.engine_helpers import make_pdf

        def rss():
            gc.collect()
            with open(f"/proc/{os.getpid()}/statm") as f:
                return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

        def image(size, color, fmt):
            out = io.BytesIO()
            Image.new("RGB", size, color).save(out, format=fmt)
            return out.getvalue()

        template, pdf = image((1200, 630), (255, 255, 255), "PNG"), make_pdf()
        zones = [Zone("logo", (0.0, 0.0, 0.9, 0.9))]
        brand = BrandKit(partner_name="warm-up", logo=image((300, 100), (1, 2, 3), "PNG"))
        render_social(template, brand, zones)
        cobrand_pdf(pdf, brand, zones)
        before = rss()
        for i in range(10):
            logo = image((2000, 2000), (i * 10, 90, 160), "JPEG")
            brand = BrandKit(partner_name=f"P{i}", logo=logo)
            render_social(template, brand, zones)
            cobrand_pdf(pdf, brand, zones)
        print("growth", (rss() - before) // 2**20)
        """
    )
    assert result.returncode == 0, result.stderr[-2000:]
    growth = int(result.stdout.split("growth")[1])
    assert growth < 250, f"RSS grew by {growth} MB"


def test_a_byte_bounded_cache_evicts_by_bytes() -> None:
    from asset_engine import ByteBoundedCache

    cache: ByteBoundedCache[bytes] = ByteBoundedCache("test", 1000, len)
    for i in range(10):
        cache.get(i, lambda i=i: bytes(300))
    assert cache.total_bytes <= 1000 and len(cache) == 3
    assert cache.get(9, lambda: b"rebuilt") == bytes(300)  # the newest stay
    big = cache.get("big", lambda: bytes(600))  # over half the budget: served, not kept
    assert len(big) == 600 and len(cache) == 3


def test_compiled_emails_are_cached_by_bytes() -> None:
    from asset_engine import ByteBoundedCache
    from prm_domain import rendering

    assert isinstance(rendering._compiled_cache, ByteBoundedCache)
    assert rendering._compiled_cache.max_bytes <= 64 * 2**20


def test_no_engine_cache_is_bounded_by_entries_alone() -> None:
    # Every cache of decoded or derived data is byte-bounded; what remains on functools is the
    # sandboxed Jinja environment, fonts (a fixed few hundred KB each, 128 at most) and the
    # compiled zone templates (at most 2,000 characters each, 256 at most).
    import ast

    allowed = {("_text.py", "_env"), ("_text.py", "_compile"), ("_fonts.py", "pdf_font"),
               ("_social.py", "_font")}  # fmt: skip
    found = set()
    for path in (ROOT / "asset_engine").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and any(
                "cache" in ast.unparse(d) for d in node.decorator_list
            ):
                found.add((path.name, node.name))
    assert found <= allowed, f"entry-bounded caches: {sorted(found - allowed)}"


def test_every_output_format_holds_the_longest_accepted_template() -> None:
    from asset_engine import BrandKit, Zone, render_social
    from asset_engine._images import MAX_SIDE

    from .engine_helpers import make_brand

    brand: BrandKit = make_brand()
    template = _png((MAX_SIDE, 2), (255, 255, 255))
    for fmt in ("PNG", "JPEG", "WEBP"):
        assert render_social(template, brand, [Zone("logo", (0, 0, 0.5, 1))], format=fmt)
