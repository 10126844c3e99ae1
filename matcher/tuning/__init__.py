"""Domain-tuned embedders: contrastive fine-tuning of the bundled e5 on judged and corpus pairs."""
