"""Shared event contracts and plumbing of the learning-portfolio platform (學生學習歷程檔案).

Only contracts and infrastructure live here: no service's business rules.
"""
