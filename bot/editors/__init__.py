"""What editors use: their commands on facts and claims, the guided /add, the cables."""
