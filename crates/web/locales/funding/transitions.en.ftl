# Funding: the transitions pages (en).
