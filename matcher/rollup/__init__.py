"""Roll ranked outcomes up to experts and institutions, and needs up to enterprises (a voting model)."""
