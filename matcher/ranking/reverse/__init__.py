"""The reverse ranker (成果找需求 / 找企业): an outcome probe's candidate needs re-ordered by a learned model."""
