ndarray('<u2', (), [7])
