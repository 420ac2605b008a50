# Funding: the ledger pages (en).
