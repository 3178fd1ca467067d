"""Web portal (學習歷程入口網站): server-rendered pages over the five services' public HTTP APIs."""
