# Funding: the ledger pages (es).
