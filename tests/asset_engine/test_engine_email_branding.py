"""Which partner fields an email uses, and the standard partner footer block."""

from __future__ import annotations

import pytest

from asset_engine import (
    PARTNER_FOOTER_MJML,
    TemplateError,
    append_partner_footer,
    brand_fields,
    compile_email,
    personalise_email,
)

from .engine_helpers import make_brand

PLAIN = "<mjml><mj-body><mj-section><mj-column><mj-text>Hi {{FirstName}}</mj-text>" + (
    "</mj-column></mj-section></mj-body></mjml>"
)


def test_brand_fields_lists_partner_placeholders_once_and_ignores_merge_tags() -> None:
    assert brand_fields(compile_email(PLAIN)) == ()  # an ESP merge tag is not ours
    source = PLAIN.replace(
        "Hi {{FirstName}}",
        '{{ partner_name }} <a href="{{ contact.website }}">{{ contact.website }}</a>',
    )
    assert brand_fields(compile_email(source)) == ("partner_name", "contact.website")


def test_the_partner_footer_brands_a_plain_email() -> None:
    footed = append_partner_footer(PLAIN)
    assert footed.index(PARTNER_FOOTER_MJML) < footed.rindex("</mj-body>")
    compiled = compile_email(footed)
    assert len(brand_fields(compiled)) == 8
    brand = make_brand(logo_url="https://cobrand.test/r/abc123/logo")
    email = personalise_email(compiled, brand)
    assert 'src="https://cobrand.test/r/abc123/logo"' in email.html
    assert 'href="tel:%2B1%20555%200100"' in email.html
    assert 'href="mailto:jane%40acme.test"' in email.html
    assert 'href="https://acme.test"' in email.html
    assert "Acme Partners" in email.text and "Jane Doe" in email.text
    with pytest.raises(TemplateError):
        append_partner_footer("<mjml><mj-body>")
