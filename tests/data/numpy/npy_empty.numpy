ndarray('<f4', (0, 4), [])
