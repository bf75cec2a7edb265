[dtype('>i4'), dtype('<U3'), dtype({'a': '<i4'@0, 'b': '|S2'@4}/6), dtype('<M8[10s]')]
