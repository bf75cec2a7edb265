ndarray('|b1', (2, 1), [True, False])
