ndarray('|V4', (2,), [b'\x00\x01\x02\x03', b'abcd'])
