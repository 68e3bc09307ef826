"""Integer quantization math and the numpy golden of every op (the bit-exact spec)."""
