"""Web syndication: the embed snippet and its public endpoints (a blueprint over prm_domain).

Issue 5 builds it; the package exists now so the layout and its import contracts hold.
"""
