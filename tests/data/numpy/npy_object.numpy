ndarray('|O', (3,), [1, 'two', [3.0]])
