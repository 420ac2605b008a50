# Funding: the ledger pages (he).
