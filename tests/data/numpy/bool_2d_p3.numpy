ndarray('|b1', (2, 3), [True, False, True, False, False, True])
