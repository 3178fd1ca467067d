"""The central database (學習歷程中央資料庫) as this platform sees it.

- :mod:`.layouts`: the workbooks (名冊) per kind, as versioned data in ``layouts/<version>/*.json``;
- :mod:`.package`: one zip per school, kind and term, written streamed; :mod:`.reader` validates one;
- :mod:`.emulator`: a stand-alone HTTP emulator of the central database.

Both the submission service and the emulator import the same layouts, so what one writes the
other checks by the same rules.
"""
