# (room: being written)
