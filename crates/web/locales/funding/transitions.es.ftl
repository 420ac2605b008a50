# Funding: the transitions pages (es).
