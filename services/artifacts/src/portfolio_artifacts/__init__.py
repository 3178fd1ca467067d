"""Artifacts service: course learning outcomes (課程學習成果) and multiple performances (多元表現)."""
