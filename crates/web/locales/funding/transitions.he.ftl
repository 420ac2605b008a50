# Funding: the transitions pages (he).
