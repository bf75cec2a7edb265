ndarray('<U5', (4,), ['', 'héllo', '😀x', "it's"])
