"""The one access policy. Every service and query asks here; nothing else decides who may do what.

Partner users see and change only their own organisation's objects; vendor roles see every
partner, with the rights their role carries. Where a partner user asks for another tenant's
object, the answer is ``NotFound``: whether it exists is itself private.

Three more questions are answered here and nowhere else (docs/access.md has the table):

- **Partner status**: what a partner's people may use depends on its organisation's status
  (``STATUS_AREAS``). Every right, tenant scope and content read of a partner user passes
  :func:`ensure_status`; a refusal is :class:`PartnerInactive`, which names the status.
- **Visibility of content**: :func:`asset_visible_to_partner` and
  :func:`item_visible_to_partner` decide what vendor content a partner gets, for the library,
  renders, downloads, batch jobs, tracked links, syndicated items, embeds and their downloads.
- **Embeds and tracked links of a partner**: :func:`embeds_served_for` and
  :func:`link_attributed`.
"""

from __future__ import annotations

from prm_domain.access.content import (
    asset_is_published,
    asset_visible_to,
    asset_visible_to_partner,
    embeds_served_for,
    ensure_content,
    is_published_version,
    item_is_live,
    item_visible_to,
    item_visible_to_partner,
    link_attributed,
)
from prm_domain.access.leads import (
    LEAD_NOTIFICATION_KINDS,
    can_assign_leads,
    can_see_lead,
    ensure_can_assign_leads,
    lead_scope,
    notification_scope,
)
from prm_domain.access.rights import (
    PARTNER_PROFILE_FIELDS,
    PROPOSABLE_PARTNER_FIELDS,
    RIGHT_AREAS,
    RIGHTS,
    Right,
    can_edit_brand,
    can_edit_partner,
    can_manage_embeds,
    can_propose_partner_change,
    can_see_partner,
    ensure_can_edit_brand,
    ensure_can_edit_partner,
    ensure_can_manage_embeds,
    ensure_can_manage_users,
    ensure_can_propose_partner_change,
    ensure_can_view_partner_changes,
    ensure_can_view_users,
    ensure_vendor,
    ensure_visible,
    has,
    partner_scope,
    require,
)
from prm_domain.access.status import (
    DPA_AREAS,
    DPA_NOTICE,
    STATUS_AREAS,
    STATUS_NOTICES,
    Area,
    DpaUnsigned,
    PartnerInactive,
    dpa_signed,
    ensure_may_sign_in,
    ensure_status,
    may_sign_in,
    partner_allows,
    status_allows,
    status_notice,
)

__all__ = [
    "DPA_AREAS",
    "DPA_NOTICE",
    "LEAD_NOTIFICATION_KINDS",
    "PARTNER_PROFILE_FIELDS",
    "PROPOSABLE_PARTNER_FIELDS",
    "RIGHTS",
    "RIGHT_AREAS",
    "STATUS_AREAS",
    "STATUS_NOTICES",
    "Area",
    "DpaUnsigned",
    "PartnerInactive",
    "Right",
    "asset_is_published",
    "asset_visible_to",
    "asset_visible_to_partner",
    "can_assign_leads",
    "can_edit_brand",
    "can_edit_partner",
    "can_manage_embeds",
    "can_propose_partner_change",
    "can_see_lead",
    "can_see_partner",
    "dpa_signed",
    "embeds_served_for",
    "ensure_can_assign_leads",
    "ensure_can_edit_brand",
    "ensure_can_edit_partner",
    "ensure_can_manage_embeds",
    "ensure_can_manage_users",
    "ensure_can_propose_partner_change",
    "ensure_can_view_partner_changes",
    "ensure_can_view_users",
    "ensure_content",
    "ensure_may_sign_in",
    "ensure_status",
    "ensure_vendor",
    "ensure_visible",
    "has",
    "is_published_version",
    "item_is_live",
    "item_visible_to",
    "item_visible_to_partner",
    "lead_scope",
    "link_attributed",
    "may_sign_in",
    "notification_scope",
    "partner_allows",
    "partner_scope",
    "require",
    "status_allows",
    "status_notice",
]
