"""Web syndication: vendor content items, partners' embeds, leads and events.

``items``: what vendors syndicate; ``embeds``: what partners put on their sites; ``public``:
what an embed shows to a visitor, and who may ask (origins); ``leads`` and ``events``: what
comes back.
"""
