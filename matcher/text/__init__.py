"""Text: normalisation, jieba tokenisation with the domain dictionary, place names to regions."""
