# (decisions: being written)
