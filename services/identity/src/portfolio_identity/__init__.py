"""Identity service of the learning-portfolio platform (學生學習歷程檔案): accounts, roles, duties."""
