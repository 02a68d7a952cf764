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

from asset_engine import TemplateError, compile_email
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
        from asset_engine import TemplateError, compile_email
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
        from asset_engine import TemplateError, compile_email
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
    assert "compiled" in result.stdout or "refused" in result.stdout
