[ndarray('<f8', (0, 3), []), ndarray('<i4', (2, 0), []), ndarray('|u1', (0,), []), ndarray('<U2', (0,), [])]
