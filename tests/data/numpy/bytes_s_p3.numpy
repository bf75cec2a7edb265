ndarray('|S5', (3,), [b'ab', b'', b'a\x00b\xff'])
