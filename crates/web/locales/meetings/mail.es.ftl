# (mail: being written)
