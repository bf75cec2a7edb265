[ndarray('<u2', (3,), [0, 1, 2]), ndarray('|b1', (2, 1), [True, False])]
