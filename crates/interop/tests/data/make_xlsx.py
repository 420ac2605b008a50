"""Write the small .xlsx fixtures read by ../tabular.rs.

Run from this folder with `python3 make_xlsx.py` (needs openpyxl). The files
are committed, so the tests need neither Python nor openpyxl.
"""

import datetime

from openpyxl import Workbook


def values():
    """Numbers, dates, text, booleans and blanks as Excel stores them."""
    wb = Workbook()
    ws = wb.active
    ws.title = "values"
    ws.append(["Indicator", "Period", "Value", "Partner", "Comment", "baseline_period"])
    # Excel turns a typed 2025-02 into the date 1 February 2025.
    ws.append(["enrolled", datetime.date(2025, 2, 1), 120, "North School", "first", None])
    ws.append(["enrolled", "2025-03", 12.5, None, datetime.date(2025, 2, 1), None])
    ws.append([])  # a blank row: skipped, but still counted
    ws.append(["enrolled", "2025Q2", 0.1, None, True, datetime.date(2024, 12, 1)])
    ws.append(["enrolled", 2025, 120.0, None, None, None])
    # A second sheet is never read.
    wb.create_sheet("notes").append(["ignored"])
    wb.save("values.xlsx")


def error_cell():
    """A formula error in a value cell."""
    wb = Workbook()
    ws = wb.active
    ws.append(["indicator", "period", "value"])
    ws.append(["enrolled", "2025-01", 1])
    ws.append(["enrolled", "2025-02", "#DIV/0!"])
    wb.save("error.xlsx")


values()
error_cell()
