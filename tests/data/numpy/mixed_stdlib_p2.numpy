{'when': datetime.date(2024, 1, 2), 'arr': ndarray('<i2', (2,), [1, 2])}
