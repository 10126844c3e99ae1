"""技术图谱: topics of demand and supply per region, with gaps (卡脖子) and strengths (待转化)."""
