ndarray('|O', (2, 2), [1, 'a', None, 2.0])
