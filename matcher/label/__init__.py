"""Labelling: which (need, target) pairs staff judge next, and the candidates they are chosen from."""
