# (calendar: being written)
