"""Records service of the learning-portfolio platform (學生學習歷程檔案).

Owns basic data (基本資料), enrolment (學籍) and course records (修課紀錄): R-DATA-1, R-DATA-2.
"""
