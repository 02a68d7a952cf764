"""Leads beyond the website forms: the vendor's leads (API, CSV), routing rules, offers that
must be accepted in time, the pool, and the partner's work on a lead up to a deal or a loss.

``routing`` holds the rules and who is eligible; ``lifecycle`` every change of a lead's state
(each a conditional UPDATE, so two answers at once never both win, and each audited).
"""
