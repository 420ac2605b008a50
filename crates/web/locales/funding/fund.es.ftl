# Funding: the fund pages (es).
