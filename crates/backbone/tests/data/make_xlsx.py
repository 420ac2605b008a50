"""Write the .xlsx fixture read by ../measurement_cli.rs.

Run from this folder with `python3 make_xlsx.py` (needs openpyxl). The file is
committed, so the tests need neither Python nor openpyxl.
"""

import datetime

from openpyxl import Workbook


def values():
    """Values as a partner's spreadsheet holds them: numbers as numbers, a
    month typed as 2024-02 (which Excel stores as a date), a subgroup row."""
    wb = Workbook()
    ws = wb.active
    ws.title = "values"
    ws.append(["indicator", "period", "value", "comment", "sex", "area"])
    ws.append(["t_eligible", "2024-01", 120, "from the register", None, None])
    ws.append(["t_eligible", datetime.date(2024, 2, 1), 130.5, None, None, None])
    ws.append([])  # a blank row: skipped
    ws.append(["t_served", "2024-01", 7, None, "F", "North"])
    wb.save("values.xlsx")


values()
