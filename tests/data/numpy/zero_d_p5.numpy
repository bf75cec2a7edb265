ndarray('<f8', (), [3.25])
