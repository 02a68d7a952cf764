"""Market development funds: funds and allocations, the ledger, requests, claims, ROI."""
