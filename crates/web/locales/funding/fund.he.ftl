# Funding: the fund pages (he).
