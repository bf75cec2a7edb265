ndarray('|O', (2,), [ndarray('<i4', (2,), [1, 2]), ndarray('<f8', (1, 1), [1.5])])
