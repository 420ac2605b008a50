# Funding: the fund pages (en).
