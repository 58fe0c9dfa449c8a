"""Amaranth RTL of the streaming units (softmax, requant decision), their cocotb bench and synthesis."""
